"""Stage 1, summarize: private documents are condensed on the device (map-reduce over chunks).

Documents are cut into overlapping chunks. With ``retrieval=on`` the chunks are ranked against
the question (``retrieve.Reading``, BM25) and read best first: ``retrieval_top_k``, then
``retrieval_widen`` more while no note answers the question, ``max_chunks`` at most; then, for a
question that describes an entity ("the surgeon who ..."), up to ``retrieval_hop`` more chunks
that mention a name the best notes found (``retrieve.bridges``: a second round for multi-hop
questions). Questions about the whole document and ``retrieval=off`` read every chunk in order.
Ranked notes reach the answer step most relevant first. Each chunk read is
one map call whose note keeps only lines copied from the chunk, plus the ``quote_lines`` chunk
lines that share most rare words with the question. Amounts in the notes get exact conversions
and sums (``arith``, no model); the one result the question asks for, when the device computed
it, is kept in ``answer`` (private, like the context) for the answer step. The notes are
combined (reduce): concatenated when they fit ``reduce_max_tokens`` (a rewrite by a small model
loses facts), condensed by the model only when they do not. The raw document never leaves this
module; what it returns is redacted with the request's vault before any later stage sees it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from privsplit.edge.pipeline.arith import compute, table_scale
from privsplit.edge.pipeline.chunks import chunk_text
from privsplit.edge.pipeline.local import fit_to_context, local_params
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.retrieve import Reading, bridges, lines_of, scope
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.pipeline.units import sentences
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import InvalidRequest
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
_WORD = re.compile(r"[A-Za-z0-9]+")
_NONE = re.compile(r"^\W*none\W*$", re.IGNORECASE)

Progress = Callable[[str, int, int], None]  # (step, done, total)


@dataclass(frozen=True)
class Chunk:
    doc: int
    index: int
    text: str


def rank_chunks(question: str, chunks: Sequence[Chunk], limit: int) -> list[Chunk]:
    """The ``limit`` chunks with the highest BM25 score for the question, in document order."""
    if len(chunks) <= limit:
        return list(chunks)
    reading = Reading(
        question, [c.text for c in chunks], ranked=True, top_k=limit, widen=1, limit=limit
    )
    return [chunks[i] for i in sorted(reading.next())]


_LINE_SPLIT = re.compile(r"\n+|(?<=[.;])\s+(?=[A-Z*\-])")
_MARKUP = re.compile(r"^[\s\-*•>#\d.)]+|[*_`]+")
VERBATIM_SHARE = 0.85


def verbatim_lines(note: str, chunk: str) -> str:
    """The lines of a chunk note that are copied from the chunk: a line stays when at least
    85% of its words occur in the chunk. A small model asked to quote sometimes writes facts
    that are not there (or from its own memory); those lines are dropped, never passed on."""
    words_in_chunk = set(_WORD.findall(chunk.lower()))
    kept: list[str] = []
    for line in _LINE_SPLIT.split(note):
        line = _MARKUP.sub("", line).strip()
        words = _WORD.findall(line.lower())
        if not words or _NONE.match(line):
            continue
        if sum(w in words_in_chunk for w in words) >= VERBATIM_SHARE * len(words):
            kept.append(line)
    return " ".join(dict.fromkeys(kept))


@dataclass
class ReadStats:
    """What the last ``summarize`` read: chunks in the documents, map calls, how it chose."""

    chunks: int = 0
    read: int = 0
    mode: str = ""  # ranked | all
    scope: str = ""  # lookup | whole
    answered: bool = False  # ranked reading stopped because a note answered the question
    computed: int = 0  # lines computed on the device (arith)
    parts: int = 1  # things the question asks (retrieve.parts_of)
    # the parts no note answers and no chunk left could (Reading.beyond_reach): for the cloud;
    # () when that is not known (one part, every part answered, a hop, the time budget spent)
    beyond: tuple[int, ...] = ()


class Summarizer:
    def __init__(self, *, model: LocalModel, settings: PipelineSettings) -> None:
        self.model = model
        self.settings = settings
        self.stats = ReadStats()
        self.answer = ""  # the computed result the question asks for (arith.Computation)

    def summarize(
        self, question: str, documents: Sequence[str], *, progress: Progress | None = None
    ) -> str:
        """A short context, in the documents' own words, for answering ``question``. Progress
        is reported as ("read", chunks read, chunks to read); the total grows when ranked
        reading widens, and the last report has read == total."""
        s = self.settings
        for i, doc in enumerate(documents):
            if not isinstance(doc, str):
                raise InvalidRequest(f"document {i} is not text")
            if len(doc) > s.max_document_chars:
                raise InvalidRequest(
                    f"document {i} has {len(doc)} characters; the limit is "
                    f"{s.max_document_chars} (pipeline.max_document_chars)"
                )
        chunks = [
            Chunk(doc=d, index=j, text=t)
            for d, doc in enumerate(documents)
            for j, t in enumerate(chunk_text(doc, size=s.chunk_chars, overlap=s.chunk_overlap))
        ]
        self.stats = ReadStats(chunks=len(chunks), scope=scope(question))
        if not chunks:
            return ""
        reading = Reading(
            question,
            [c.text for c in chunks],
            ranked=s.retrieval == "on" and self.stats.scope == "lookup",
            top_k=s.retrieval_top_k,
            widen=s.retrieval_widen,
            limit=s.max_chunks,
        )
        self.stats.mode = reading.mode
        started = time.perf_counter()
        notes: dict[int, str] = {}
        mapper = load_prompt("summarize_map", s.prompt_version)
        budget = self.model.context_length - s.map_max_tokens - 256
        read = 0
        spent = False

        def note_of(i: int, mentions: Sequence[str] = ()) -> str:
            chunk = chunks[i]
            messages = mapper.render(
                question=question,
                index=str(read + 1),
                total=str(reading.handed),
                chunk=fit_to_context(self.model, chunk.text, budget),
            )
            quoted = verbatim_lines(
                self.model.chat(messages, local_params(s.map_max_tokens, s.seed)), chunk.text
            )
            parts = [
                quoted,
                *reading.quote_lines(chunk.text, s.quote_lines),
                *(line for line in lines_of(chunk.text) if any(m in line for m in mentions)),
            ]
            # each sentence once: the model's quote and the device's copy often overlap
            return " ".join(x.text for x in sentences([p for p in parts if p], lambda _: 0.0))

        while not spent and (batch := reading.next()):
            for i in batch:
                if time.perf_counter() - started > s.summarize_budget_seconds:
                    log.warning("summarize_budget_spent", read=read, chunks=reading.handed)
                    spent = True
                    break
                if progress:
                    progress("read", read, reading.handed)
                note = note_of(i)
                read += 1
                if note:
                    notes[i] = note
                    reading.record(note)
        hopped: list[int] = []
        if reading.ranked and not spent and notes:  # a second round through a found name
            names = bridges(question, [notes[i] for i in sorted(notes)], reading.coverage)
            texts, tried = [c.text for c in chunks], {*reading.order[: reading.handed]}
            for _ in range(s.retrieval_hop if names else 0):  # one at a time: what a hop
                known = " ".join(notes.values())  # copies is not looked for again
                hop = reading.hop(names, texts, tried, 1, known=known)
                if not hop:
                    break
                tried.add(hop[0])
                reading.handed += 1
                if progress:
                    progress("read", read, reading.handed)
                note = note_of(hop[0], names)  # with the lines naming the bridge, copied
                read += 1
                if note:
                    notes[hop[0]] = note
                    hopped.append(hop[0])
        self.stats.read, self.stats.answered = read, reading.done
        self.stats.parts = len(reading.parts)
        if not hopped and not spent:  # a hop's notes were not weighed part by part
            self.stats.beyond = reading.beyond_reach()
        if progress:
            progress("read", read, read)
        # what the hop found first (it holds the fact reached through the name), then the notes
        # most about the question (a small model answers from the first fitting line), ties in
        # document order; reading every chunk keeps document order
        rest = sorted(i for i in notes if i not in hopped)
        if reading.ranked:
            rest.sort(key=lambda i: -reading.coverage(notes[i]))
        ordered = [notes[i] for i in hopped] + [notes[i] for i in rest]
        computed: list[str] = []
        self.answer = ""
        if s.compute and notes:  # a chunk's own "(in millions)", else its document's usual one
            doc_scale = [table_scale(d, at_least=2) for d in documents]
            computation = compute(
                question,
                [
                    (
                        notes[i],
                        table_scale(chunks[i].text) or doc_scale[chunks[i].doc],
                        chunks[i].text,
                    )
                    for i in sorted(notes)
                ],
                relevance=reading.coverage,
            )
            computed, self.answer = computation.lines, computation.answer
        self.stats.computed = len(computed)
        if computed:
            ordered.insert(0, "computed on the device: " + "; ".join(computed))
        joined = "\n".join(f"- {n}" for n in ordered)
        if len(ordered) <= 1 or self.model.count_tokens(joined) <= s.reduce_max_tokens:
            context = joined if len(ordered) > 1 else (ordered[0] if ordered else "")
        else:  # too long to keep as it is: the model condenses (a rewrite may lose facts)
            reducer = load_prompt("summarize_reduce", s.prompt_version)
            messages = reducer.render(
                question=question,
                notes=fit_to_context(
                    self.model, joined, self.model.context_length - s.reduce_max_tokens - 256
                ),
            )
            context = self.model.chat(messages, local_params(s.reduce_max_tokens, s.seed)).strip()
            if computed:  # exact results are kept as they are, never left to the rewrite
                context = "computed on the device: " + "; ".join(computed) + "\n" + context
        log.info(
            "summarized",
            docs=len(documents),
            chunks=len(chunks),
            read=read,
            mode=reading.mode,
            scope=self.stats.scope,
            answered=reading.done,
            notes=len(notes),
            computed=len(computed),
            seconds=round(time.perf_counter() - started, 3),
        )
        return context
