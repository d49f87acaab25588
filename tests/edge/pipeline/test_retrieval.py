"""Retrieval before reading on the real small model (SmolLM2 via llama.cpp): a lookup reads
fewer chunks than the document has and its fact reaches the notes; a whole-document question
and retrieval off read every chunk. Map calls are counted on the real model."""

from __future__ import annotations

import pytest

from privsplit.edge.pipeline.summarize import Summarizer
from privsplit.shared.types import GenerationParams, Message

from .test_retrieval_units import QUESTION, TOPICS, chunks

pytestmark = pytest.mark.slow

DOCUMENT = "\n\n".join(chunks(n=6, at=4))


class Counted:
    """The real model, with its chat calls counted (one per chunk read, plus a reduce)."""

    def __init__(self, model) -> None:
        self.model = model
        self.calls = 0

    def chat(self, messages: list[Message], params: GenerationParams, **kw) -> str:
        self.calls += 1
        return self.model.chat(messages, params, **kw)

    def __getattr__(self, name: str):
        return getattr(self.model, name)


@pytest.fixture
def settings(fast_settings):
    return fast_settings.model_copy(
        update={
            "chunk_chars": 400,
            "chunk_overlap": 40,
            "max_chunks": 3,
            "map_max_tokens": 8,
            "reduce_max_tokens": 4000,  # keep the notes as they are: no reduce call
        }
    )


def read(smol, settings, question: str, **update):
    model = Counted(smol)
    summarizer = Summarizer(model=model, settings=settings.model_copy(update=update))
    steps: list[tuple[int, int]] = []
    context = summarizer.summarize(
        question, [DOCUMENT], progress=lambda _, done, total: steps.append((done, total))
    )
    return context, summarizer.stats, model.calls, steps


def test_a_lookup_reads_fewer_chunks_than_the_document_and_the_fact_reaches_the_notes(
    smol, settings
) -> None:
    context, stats, calls, steps = read(smol, settings, QUESTION)
    assert stats.chunks >= 5 and stats.mode == "ranked" and stats.scope == "lookup"
    assert calls == stats.read < stats.chunks
    assert stats.read <= settings.max_chunks and stats.answered
    assert "Gadavist 7.5 mL" in context
    # progress: chunks read / to read, never more read than planned, ending complete
    assert steps[0] == (0, settings.retrieval_top_k)
    assert all(done <= total for done, total in steps) and steps[-1] == (stats.read, stats.read)


def test_a_summarize_question_reads_every_chunk(smol, settings) -> None:
    _, stats, calls, steps = read(smol, settings, "Summarize these visit notes.")
    assert stats.scope == "whole" and stats.mode == "all"
    assert calls == stats.read == stats.chunks > settings.max_chunks
    assert steps[-1] == (stats.chunks, stats.chunks)


def test_retrieval_off_reads_every_chunk_like_before(smol, settings) -> None:
    context, stats, calls, _ = read(smol, settings, QUESTION, retrieval="off")
    assert stats.mode == "all" and not stats.answered
    assert calls == stats.read == stats.chunks
    assert "Gadavist 7.5 mL" in context  # every chunk read: the fact is there too


def test_when_the_first_notes_do_not_answer_the_reading_widens(smol, settings) -> None:
    # nothing in the document answers this: ranked reading widens until max_chunks
    _, stats, calls, steps = read(
        smol, settings, "Which surgeon operated on the patient's knee?", retrieval_widen=1
    )
    assert stats.mode == "ranked" and not stats.answered
    assert calls == stats.read == settings.max_chunks == 3
    totals = sorted({total for _, total in steps})
    assert totals == [2, 3]  # top_k, then widened by 1 up to max_chunks


def test_amounts_in_the_notes_are_computed_on_the_device(smol, settings) -> None:
    document = DOCUMENT + (
        "\n\nBilling (in millions): the hospital charged the insurer $1,250 for the stay."
    )
    summarizer = Summarizer(model=smol, settings=settings)
    context = summarizer.summarize("How much did the hospital charge the insurer?", [document])
    first = context.splitlines()[0]  # first: the answer step reads it before the notes
    assert first.removeprefix("- ").startswith("computed on the device: ")
    assert "$1,250 = $1.3 billion (exactly $1.25 billion)" in context
    assert summarizer.stats.computed >= 1


def test_a_multi_hop_question_reads_on_through_the_name_the_first_notes_found(
    smol, settings
) -> None:
    filler = [" ".join(TOPICS[(i + j) % len(TOPICS)] for j in range(3)) for i in range(8)]
    filler[1] += "\nThe knee arthroscopy was performed by Dr. Jordan Blake."
    filler[6] += "\nAt the post-operative review, Dr. Jordan Blake started Metoprolol."
    document = "\n\n".join(filler)
    question = "Which drug did the surgeon who performed the knee arthroscopy start?"
    for hop, found in ((0, False), (2, True)):
        model = Counted(smol)
        summarizer = Summarizer(
            model=model,
            settings=settings.model_copy(
                update={"max_chunks": 1, "retrieval_top_k": 1, "retrieval_hop": hop}
            ),
        )
        context = summarizer.summarize(question, [document])
        assert "Jordan Blake" in context
        assert ("Metoprolol" in context) is found  # reached only through the surgeon's name
        assert model.calls == summarizer.stats.read == 1 + (hop > 0)
        if found:  # the hop's note comes first: it holds the fact the question asks for
            assert context.index("Metoprolol") < context.index("knee arthroscopy")
