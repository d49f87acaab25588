"""Stage 1, summarize: private documents are condensed on the device (bounded map-reduce).

Documents are cut into overlapping chunks; the ``max_chunks`` chunks that share most words
with the question are read by the edge model (map: notes per chunk), and the notes are
combined (reduce) into a short context: concatenated when they fit ``reduce_max_tokens``
(a rewrite by a small model loses facts), condensed by the model only when they do not. The raw document never leaves this module; what it
returns is redacted with the request's vault before any later stage sees it.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from privsplit.edge.pipeline.chunks import chunk_text
from privsplit.edge.pipeline.local import fit_to_context, local_params
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import InvalidRequest
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
_WORD = re.compile(r"[A-Za-z0-9]+")
_STOP = frozenset(
    """a an and are as at be by did do does for from had has have he her his how i in
is it its me my of on or our she that the their them they this to was were what when where which
who why will with you your""".split()
)
_NONE = re.compile(r"^\W*none\W*$", re.IGNORECASE)

Progress = Callable[[str, int, int], None]  # (step, done, total)


@dataclass(frozen=True)
class Chunk:
    doc: int
    index: int
    text: str


def _terms(text: str) -> list[str]:
    return [w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP]


def rank_chunks(question: str, chunks: Sequence[Chunk], limit: int) -> list[Chunk]:
    """The ``limit`` chunks with the highest BM25 score for the question, in document order."""
    if len(chunks) <= limit:
        return list(chunks)
    query = set(_terms(question))
    docs = [Counter(_terms(c.text)) for c in chunks]
    avg = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    df = Counter(t for d in docs for t in query if t in d)
    n = len(docs)

    def score(d: Counter) -> float:
        length = sum(d.values())
        total = 0.0
        for t in query:
            if t in d:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                tf = d[t]
                total += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))
        return total

    ranked = sorted(range(n), key=lambda i: (-score(docs[i]), i))[:limit]
    return [chunks[i] for i in sorted(ranked)]


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


class Summarizer:
    def __init__(self, *, model: LocalModel, settings: PipelineSettings) -> None:
        self.model = model
        self.settings = settings

    def summarize(
        self, question: str, documents: Sequence[str], *, progress: Progress | None = None
    ) -> str:
        """A short context, in the documents' own words, for answering ``question``."""
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
        if not chunks:
            return ""
        chosen = rank_chunks(question, chunks, s.max_chunks)
        started = time.perf_counter()
        notes: list[str] = []
        mapper = load_prompt("summarize_map", s.prompt_version)
        budget = self.model.context_length - s.map_max_tokens - 256
        for done, chunk in enumerate(chosen):
            if time.perf_counter() - started > s.summarize_budget_seconds:
                log.warning("summarize_budget_spent", read=done, chunks=len(chosen))
                break
            if progress:
                progress("read", done, len(chosen))
            messages = mapper.render(
                question=question,
                index=str(done + 1),
                total=str(len(chosen)),
                chunk=fit_to_context(self.model, chunk.text, budget),
            )
            note = verbatim_lines(
                self.model.chat(messages, local_params(s.map_max_tokens, s.seed)), chunk.text
            )
            if note:
                notes.append(note)
        if progress:
            progress("read", len(chosen), len(chosen))
        joined = "\n".join(f"- {n}" for n in notes)
        if len(notes) <= 1 or self.model.count_tokens(joined) <= s.reduce_max_tokens:
            context = joined if len(notes) > 1 else (notes[0] if notes else "")  # no lossy rewrite
        else:
            reducer = load_prompt("summarize_reduce", s.prompt_version)
            messages = reducer.render(
                question=question,
                notes=fit_to_context(
                    self.model, joined, self.model.context_length - s.reduce_max_tokens - 256
                ),
            )
            context = self.model.chat(messages, local_params(s.reduce_max_tokens, s.seed)).strip()
        log.info(
            "summarized",
            docs=len(documents),
            chunks=len(chunks),
            read=len(chosen),
            notes=len(notes),
            seconds=round(time.perf_counter() - started, 3),
        )
        return context
