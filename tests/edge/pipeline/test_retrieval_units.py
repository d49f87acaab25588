"""Retrieval before reading, without a model: the reading order, the stop check, the quotes,
and that bm25s ranks with no network."""

from __future__ import annotations

import subprocess
import sys

import pytest

from privsplit.edge.pipeline.retrieve import Reading, bridges, scope
from privsplit.edge.pipeline.settings import PipelineSettings

TOPICS = [
    "The patient walked in the garden and reported mild fatigue after lunch.",
    "Breakfast was oatmeal with berries; appetite improved over the week.",
    "Physical therapy continued twice weekly for the right shoulder.",
    "Sleep quality was poor on two nights because of street noise.",
    "The pharmacy changed the pill packaging, which confused the patient.",
    "Blood pressure stayed normal at every home measurement.",
]
PLANTED = "MRI of the left knee was done with the contrast agent Gadavist 7.5 mL on 03/14/2021."
QUESTION = "Which contrast agent was used for the MRI of the left knee?"


def chunks(n: int = 12, at: int = 8) -> list[str]:
    out = [" ".join(TOPICS[(i + j) % len(TOPICS)] for j in range(3)) for i in range(n)]
    out[at] = out[at] + "\n" + PLANTED
    return out


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Summarize the patient's record.", "whole"),
        ("Give me a summary of the contract", "whole"),
        ("List all medications the patient takes.", "whole"),
        ("Which incidents happened every Friday?", "whole"),
        ("What was the hemoglobin in March 2021?", "lookup"),
        (QUESTION, "lookup"),
    ],
)
def test_whole_document_questions_are_recognised(question: str, expected: str) -> None:
    assert scope(question) == expected


def test_ranked_reading_hands_out_the_best_first_then_widens_up_to_the_limit() -> None:
    texts = chunks()
    reading = Reading(QUESTION, texts, ranked=True, top_k=2, widen=3, limit=7)
    first = reading.next()
    assert len(first) == 2 and first[0] == 8  # the planted chunk ranks first
    assert reading.handed == 2
    second = reading.next()  # nothing recorded as answered: widen by 3
    assert len(second) == 3 and not set(first) & set(second)
    assert len(reading.next()) == 2  # the limit (7) caps the last batch
    assert reading.next() == [] and reading.handed == 7


def test_ranked_reading_stops_once_a_note_answers_and_not_before() -> None:
    reading = Reading(QUESTION, chunks(), ranked=True, top_k=1, widen=1, limit=12)
    assert reading.next() == [8]
    reading.record("Blood pressure stayed normal at every home measurement.")
    assert not reading.done  # shares no question term: not an answer
    reading.record("MRI of the left knee")  # the question's terms, but no value of its own
    assert not reading.done
    reading.record(PLANTED)
    assert reading.done and reading.next() == []


def test_unranked_reading_is_every_chunk_in_document_order_once() -> None:
    texts = chunks()
    reading = Reading(QUESTION, texts, ranked=False, top_k=2, widen=2, limit=3)
    assert reading.next() == list(range(len(texts)))
    reading.record(PLANTED)  # never stops early
    assert reading.next() == [] and reading.mode == "all"


def test_quoted_lines_are_exact_text_of_the_chunk_and_carry_the_fact() -> None:
    texts = chunks()
    reading = Reading(QUESTION, texts, ranked=True, top_k=2, widen=2, limit=6)
    quoted = reading.quote_lines(texts[8], 1)
    assert len(quoted) == 1 and "Gadavist 7.5 mL" in quoted[0]
    assert " ".join(quoted[0].split()) in " ".join(texts[8].split())  # copied, not written
    assert reading.quote_lines(texts[8], 0) == []
    assert (
        Reading("zzz qqq", texts, ranked=True, top_k=1, widen=1, limit=1).quote_lines(texts[8], 2)
        == []
    )  # no question term occurs in the document: nothing to quote


def test_settings_describe_retrieval_and_refuse_bad_values() -> None:
    fields = PipelineSettings.model_fields
    for name in ("retrieval", "retrieval_top_k", "retrieval_widen", "quote_lines", "compute"):
        assert fields[name].description
    assert PipelineSettings().retrieval == "on"
    with pytest.raises(ValueError):
        PipelineSettings(retrieval="maybe")
    with pytest.raises(ValueError):
        PipelineSettings(retrieval_top_k=0)


def test_bm25s_ranks_with_every_network_connection_refused() -> None:
    """The edge device makes no call: ranking works with sockets disabled (no download)."""
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n    raise OSError('network used')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from privsplit.edge.pipeline.retrieve import Reading\n"
        "r = Reading('contrast agent', ['a b c', 'the contrast agent was X', 'd e'],"
        " ranked=True, top_k=1, widen=1, limit=3)\n"
        "assert r.next() == [1], r.order\nprint('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


HOP_QUESTION = "Which drug did the surgeon who performed the knee arthroscopy start?"
HOP_DOC = [
    "The knee arthroscopy was performed by Dr. Jordan Blake. Vital signs were stable.",
    "Breakfast was oatmeal with berries; appetite improved over the week.",
    "At the post-operative review, Dr. Jordan Blake started Metoprolol for the patient.",
    "Physical therapy continued twice weekly for the right shoulder.",
    "Dr. Jordan Blake signed the discharge letter.",
]


def test_a_multi_hop_question_reads_on_through_the_name_the_first_notes_found() -> None:
    reading = Reading(HOP_QUESTION, HOP_DOC, ranked=True, top_k=1, widen=1, limit=1)
    first = reading.next()
    assert first == [0]  # the arthroscopy line: it names the surgeon, not the drug
    names = bridges(HOP_QUESTION, [HOP_DOC[0]], reading.coverage)
    assert names == ["Jordan Blake"]  # "Dr." is not split off as a sentence of its own
    hops = reading.hop(names, HOP_DOC, set(first), 1)
    assert hops == [2]  # the mention that also shares the question's words comes first
    assert reading.hop(names, HOP_DOC, {0, 2, 4}, 2) == []  # nothing unread mentions it
    assert reading.hop(names, HOP_DOC, set(first), 0) == []


def test_no_hop_for_a_question_that_asks_for_the_person_or_names_it() -> None:
    reading = Reading(
        "Who performed the knee arthroscopy?", HOP_DOC, ranked=True, top_k=1, widen=1, limit=1
    )
    assert bridges("Who performed the knee arthroscopy?", [HOP_DOC[0]], reading.coverage) == []
    q = "Which drug did Jordan Blake start after the knee arthroscopy?"
    reading = Reading(q, HOP_DOC, ranked=True, top_k=1, widen=1, limit=1)
    assert bridges(q, [HOP_DOC[0]], reading.coverage) == []  # the question names him already
    q = "What audit fee did the firm that audited the year charge?"
    note = "The external auditor for the year was Bishop and Sons. Segment A reported 3 deals."
    reading = Reading(q, [note], ranked=True, top_k=1, widen=1, limit=1)
    assert bridges(q, [note], reading.coverage) == ["Bishop and Sons"]
    q = "Mr. Williams had a CT scan. What contrast agent was used?"  # no entity described
    note = "CT of the spine with Omnipaque 240, ordered by Dr. Ana Ruiz."
    reading = Reading(q, [note], ranked=True, top_k=1, widen=1, limit=1)
    assert bridges(q, [note], reading.coverage) == []


def test_a_question_is_split_into_the_things_it_asks() -> None:
    from privsplit.edge.pipeline.retrieve import parts_of

    two = "Mr. Ray had an MRI of the knee. Which agent was used, and what side effects can occur?"
    assert parts_of(two) == [
        "Mr. Ray had an MRI of the knee. Which agent was used",
        "Mr. Ray had an MRI of the knee. what side effects can occur?",
    ]
    assert parts_of("Which agent was used and when was the scan done?") == [
        "Which agent was used",
        "when was the scan done?",
    ]
    for one in (
        QUESTION,
        "What is the total of the two invoices and the fee?",  # "and" before a noun: one ask
        "Who signed the contract and why?",  # "why" has no term of its own
        "Identify all the errors in the code. Return a list of the methods with errors.",
    ):
        assert parts_of(one) == [one]


TWO_PARTS = (
    "Which contrast agent was used for the MRI of the left knee, and what side effects "
    "should the patient watch for?"
)


def test_a_part_no_chunk_can_answer_does_not_keep_the_reading_going() -> None:
    reading = Reading(TWO_PARTS, chunks(), ranked=True, top_k=1, widen=1, limit=12)
    assert reading.next() == [8]
    reading.record(PLANTED)  # answers the first part; no chunk speaks of side effects
    assert reading.settled == [True, False] and reading.done and reading.next() == []


def test_every_part_a_chunk_can_answer_is_read_for() -> None:
    texts = chunks()
    texts[2] += "\nSide effects of the contrast agent the patient should watch for: a rash."
    reading = Reading(TWO_PARTS, texts, ranked=True, top_k=1, widen=1, limit=12)
    batch = reading.next()
    reading.record(PLANTED if batch == [8] else texts[batch[0]])
    assert not reading.done  # the other part is within reach of a chunk not read yet
    while not reading.done and (batch := reading.next()):
        reading.record(texts[batch[0]].split("\n")[-1] if batch[0] in (2, 8) else "")
    assert reading.settled == [True, True] and reading.done and reading.handed < len(texts)


def test_a_one_part_question_stops_only_on_an_answer_as_before() -> None:
    reading = Reading(QUESTION, chunks(), ranked=True, top_k=1, widen=1, limit=4)
    reading.next()
    reading.record("Blood pressure stayed normal at every home measurement.")
    assert not reading.done and len(reading.next()) == 1
