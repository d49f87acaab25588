"""Retrieval before reading: which chunks the edge model reads, in what order, and when to stop.

Contract:

- ``scope(question)`` is ``"whole"`` for questions about the whole document (summarize, list
  all, every ...): those read every chunk, in document order. Other questions are ``"lookup"``.
- ``Reading`` hands out chunk indexes in batches. Ranked (retrieval on, lookup question): the
  ``top_k`` chunks with the highest BM25 score for the question first (``bm25s``, in memory: no
  network, no model), then ``widen`` more at a time while the notes do not answer the question,
  ``limit`` at most. Otherwise: every chunk in document order, once.
- ``answered`` is a cheap check with no model: a chunk's note (lines quoted from that chunk)
  covers at least ``STOP_COVERAGE`` of the question's terms, weighted by their rarity in the
  documents (a term they never use weighs most), and says something the question does not.
- A question that asks several things ("What agent was used, and what side effects should he
  watch for?") is judged part by part (``parts_of``: each asked clause with the question's
  statements). Ranked reading stops when every part is answered by some note, or when at
  least one part is answered and each other part is beyond reach: no chunk left to read
  (within ``limit``) covers ``STOP_COVERAGE`` of that part's terms, so no note of it could
  answer the part (a note only holds the chunk's own lines). A part the document does not
  answer (general knowledge, for the cloud) then does not make the device read on to the
  limit. A one-part question stops only when a note answers it, as before. ``beyond_reach``
  names the parts a reading that stopped so left unanswered: they are for the cloud, and the
  documents have nothing to add to them (``plan``'s split by parts).
- ``quote_lines`` copies the runs of two chunk lines that share most rare terms with the
  question: exact text, no model, so the fact reaches the notes even when the small model
  quotes the wrong line.

- ``bridges(question, notes, coverage)`` are the names (two or more capitalised words, "Bishop
  and Sons" too) in the notes' sentences most about the question that the question does not
  name: the entity a multi-hop question reaches through ("the surgeon who performed X" -> the
  surgeon's name); only for a question that describes an entity by a relative clause ("the
  surgeon who ...", "the invoice that ..."). ``Reading.hop(bridges, read, count)`` hands out up to ``count`` unread
  chunks that mention one of them, best-ranked first: a second round of reading, seeded by
  what the first found. A question asking for a person (who, whom, whose) has no hop: the
  name is the answer.

Nothing here logs or keeps text; the ranking lives as long as one request.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

_WORD = re.compile(r"[A-Za-z0-9]+")
_STOP = frozenset(
    """a about all also an and any are as at be been by can could did do does for from had has
have he her his how i if in into is it its me my no not of on or our she so than that the their
them then there these they this those to was we were what when where which who whom why will
with would you your please tell give find state show much many kind type sort use used using
receive received get got mention mentioned list listed stated according mr mrs ms dr""".split()
)
_WHOLE = re.compile(
    r"\b(summari[sz]e|summary|overview|outline|gist|tl;?dr|list (?:all|every|each)|all of the"
    r"|every|each|throughout|entire|whole (?:document|record|file|report|text))\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(
    r"\n+|(?<=[.;!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bProf\.)(?<!\bSt\.)(?<!\bNo\.)\s+(?=[A-Z(\-*\d])"
)
STOP_COVERAGE = 0.6
MAX_LINE_CHARS = 400
_ASK = (
    r"what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|can|could"
    r"|should|would|will|has|have|had"
)
_CLAUSE = re.compile(r"\s*;\s*|,?\s+(?:and|or|also|plus)\s+(?=(?:" + _ASK + r")\b)", re.IGNORECASE)
_QUESTION_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_ASKS = re.compile(r"^\W*(?:" + _ASK + r"|tell|give|list|name|find|state|show|explain)\b", re.I)


def terms(text: str) -> list[str]:
    """Lowercased words without stop words, plural ``s`` stripped (payments -> payment)."""
    out = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if word in _STOP:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word.isalpha():
            word = word[:-1]
        out.append(word)
    return out


def scope(question: str) -> Literal["whole", "lookup"]:
    """``whole`` when the question asks about the whole document, else ``lookup``."""
    return "whole" if _WHOLE.search(question) else "lookup"


def parts_of(question: str) -> list[str]:
    """The things a question asks, each with the question's statements ("Mr. X had a CT
    scan.") in front: sentences that end with "?" or open with a question word are asks, and
    an ask splits at "; " and at ", and what ..." (a conjunction before a question word). One
    part (the question itself) when it asks one thing; an ask with no term of its own joins
    the one before it ("..., and why?")."""
    lead, asks = _asks(question)
    if len(asks) <= 1:
        return [question]
    return [f"{lead} {ask}".strip() for ask in asks]


def some_parts(question: str, keep: Sequence[int]) -> str:
    """The question asking only its parts ``keep`` (indexes into ``parts_of``), its statements
    in front once: "Mr. X had a CT scan. Which agent was used" for part 0 of "Mr. X had a CT
    scan. Which agent was used, and what side effects can occur?". The question itself when it
    has one part or ``keep`` holds every part."""
    lead, asks = _asks(question)
    chosen = [asks[k] for k in sorted(set(keep)) if 0 <= k < len(asks)]
    if len(asks) <= 1 or len(chosen) == len(asks):
        return question
    return f"{lead} {'; '.join(chosen)}".strip()


def _asks(question: str) -> tuple[str, list[str]]:
    """The question's statements (joined), and the clauses it asks (``parts_of``)."""
    sentences = [x.strip() for x in _QUESTION_SENTENCE.split(question.strip()) if x.strip()]
    context = [x for x in sentences if not (x.endswith("?") or _ASKS.match(x))]
    asks: list[str] = []
    for sentence in sentences:
        if sentence in context:
            continue
        for clause in _CLAUSE.split(sentence):
            clause = clause.strip(" ,;")
            if not clause:
                continue
            if asks and not terms(clause):
                asks[-1] = f"{asks[-1]} {clause}"
            else:
                asks.append(clause)
    return " ".join(context), asks


def lines_of(text: str) -> list[str]:
    """The text's lines and sentences, stripped and capped at ``MAX_LINE_CHARS``."""
    return [s.strip()[:MAX_LINE_CHARS] for s in _SENTENCE.split(text) if s.strip()]


def windows_of(text: str, size: int = 2) -> list[str]:
    """Runs of ``size`` consecutive lines, joined by a space (a fact wrapped over two lines,
    or a heading and its first line, stays together)."""
    lines = lines_of(text)
    return [" ".join(lines[i : i + size]) for i in range(max(1, len(lines) - size + 1))][
        : len(lines)
    ]


class Reading:
    """The reading order of one request's chunks (see the module docstring)."""

    def __init__(
        self,
        question: str,
        texts: Sequence[str],
        *,
        ranked: bool,
        top_k: int,
        widen: int,
        limit: int,
    ) -> None:
        self.question_terms = list(dict.fromkeys(terms(question)))
        tokenized = [terms(t) for t in texts]
        n = len(texts)
        df = Counter(t for doc in tokenized for t in set(doc))

        def idf(t: str) -> float:  # BM25's: a term the documents never use weighs most
            return math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))

        self.weights = {t: idf(t) for t in self.question_terms}
        # each part of a multi-part question: its terms' weights, and answered or not yet
        self.parts = [{t: idf(t) for t in dict.fromkeys(terms(p))} for p in parts_of(question)]
        self.settled = [False] * len(self.parts)
        self._vocab = [set(doc) for doc in tokenized]
        self.ranked = ranked and n > 0
        if self.ranked:
            self.order = _bm25_order(tokenized, self.question_terms)
            self._sizes = [min(top_k, limit)]
            self.limit = min(limit, n)
            self.widen = widen
        else:
            self.order = list(range(n))
            self._sizes = [n]
            self.limit = n
            self.widen = 0
        self.handed = 0  # chunks handed out so far (the progress bar's total)
        self.done = False

    @property
    def mode(self) -> str:
        return "ranked" if self.ranked else "all"

    def next(self) -> list[int]:
        """The next batch of chunk indexes to read; [] when reading is over."""
        if self.done or self.handed >= self.limit:
            return []
        size = self._sizes.pop(0) if self._sizes else self.widen
        batch = self.order[self.handed : min(self.limit, self.handed + max(size, 1))]
        self.handed += len(batch)
        return batch

    def record(self, note: str) -> None:
        """A chunk's verified note: ranked reading stops once the notes answer the question
        (every part of it, or some and the rest are beyond reach: module docstring)."""
        if not self.ranked:
            return
        if len(self.parts) == 1:
            self.done = self.done or self.answered(note)
            return
        for k, weights in enumerate(self.parts):
            self.settled[k] = self.settled[k] or self.answered(note, weights)
        if all(self.settled):
            self.done = True
        elif any(self.settled):
            unread = [self._vocab[i] for i in self.order[self.handed : self.limit]]
            self.done = all(
                self.settled[k] or max((_share(w, v) for v in unread), default=0) < STOP_COVERAGE
                for k, w in enumerate(self.parts)
            )

    def beyond_reach(self) -> tuple[int, ...]:
        """The parts (indexes into ``parts_of``) the documents do not answer, once ranked
        reading stopped on the rule above with some part answered: no note answers them and no
        chunk left within ``limit`` could. () when the question has one part, when every part
        is answered, or when the reading did not stop that way (nothing is known then)."""
        if not (self.ranked and self.done and len(self.parts) > 1 and any(self.settled)):
            return ()
        return tuple(k for k, settled in enumerate(self.settled) if not settled)

    def coverage(self, text: str) -> float:
        """Share of the question's (rarity-weighted) terms found in ``text``; 0 with none."""
        return _share(self.weights, set(terms(text)))

    def answered(self, note: str, weights: dict[str, float] | None = None) -> bool:
        """The note covers most of the question's terms (or of one part's, ``weights``) and has
        words of its own (a value)."""
        weights = self.weights if weights is None else weights
        found = set(terms(note))
        if not note.strip() or _share(weights, found) < STOP_COVERAGE:
            return False
        return any(t not in weights for t in found)

    def hop(
        self,
        names: Sequence[str],
        texts: Sequence[str],
        read: set[int],
        count: int,
        known: str = "",
    ) -> list[int]:
        """Up to ``count`` unread chunks with a line mentioning one of ``names`` that the
        notes (``known``) do not hold yet, best-ranked first (a neighbour chunk's overlap
        repeats the line already read: it is skipped)."""
        if not names or count <= 0:
            return []
        seen = " ".join(known.split())

        def new_mention(text: str) -> bool:
            return any(
                n in line and " ".join(line.split()) not in seen
                for line in lines_of(text)
                for n in names
            )

        return [i for i in self.order if i not in read and new_mention(texts[i])][:count]

    def quote_lines(self, chunk: str, count: int) -> list[str]:
        """The ``count`` lines of ``chunk`` that share most rare question terms (exact text)."""
        if count <= 0 or not self.weights:
            return []
        scored = [(self.coverage(w), len(w), i, w) for i, w in enumerate(windows_of(chunk))]
        best = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1], s[2]))[:count]
        return [line for *_, line in sorted(best, key=lambda s: s[2])]


_NAME = re.compile(r"\b[A-Z][a-z'\-]+(?:(?:\s+(?:and|&|of|de|van|von)\s+|\s+)[A-Z][a-z'\-]+)+")
_RELATIVE = re.compile(
    r"\b(?:the|a|an|this|that)\s+(?:\w+\s+){0,2}?\w+\s+(?:who|whom|that|which)\s+\w", re.IGNORECASE
)
_WHO = re.compile(r"^\W*(?:who|whom|whose)\b", re.IGNORECASE)
BRIDGE_MARGIN = 0.15


def bridges(question: str, notes: Sequence[str], coverage) -> list[str]:
    """Names in the notes' most relevant sentences that the question does not name."""
    if _WHO.match(question) or not _RELATIVE.search(question):
        return []
    asked = {w.lower() for w in _WORD.findall(question)}
    scored = [(coverage(line), line) for note in notes for line in lines_of(note)]
    best = max((c for c, _ in scored), default=0.0)
    if best <= 0:
        return []
    out: list[str] = []
    for c, line in scored:
        if c < best - BRIDGE_MARGIN:
            continue
        for m in _NAME.finditer(line):
            words = {w.lower() for w in _WORD.findall(m.group(0))}
            if words - asked - _STOP and m.group(0) not in out:
                out.append(m.group(0))
    return out


def _share(weights: dict[str, float], found: set[str]) -> float:
    """The share of ``weights`` (term -> weight) whose terms are in ``found``; 0 with none."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in found) / total if total else 0.0


def _bm25_order(tokenized: Sequence[list[str]], query: Sequence[str]) -> list[int]:
    """Chunk indexes by BM25 score for ``query`` (best first; ties in document order)."""
    import bm25s

    if not query or not any(tokenized):
        return list(range(len(tokenized)))
    index = bm25s.BM25()
    index.index([doc or ["\x00"] for doc in tokenized], show_progress=False)
    scores = index.get_scores(list(query))
    return sorted(range(len(tokenized)), key=lambda i: (-float(scores[i]), i))
