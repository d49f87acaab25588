"""Restore generalized values where the cloud's answer echoes them back to the user.

The budget sent "I work at a technology company" where the user wrote "Google". When the
answer says "Since you work at a technology company, ...", the device writes "Since you work
at Google, ...". Nothing else is rewritten.

Why this is sound: each generalized value is a superset of what the user said (Google is a
technology company; 37 is within 30-39; a Catholic is a Christian). An echo describes *the
user* with the superset, so putting back the user's own value states only what the user
said, and advice addressed to the superset still applies to its member. The same words
elsewhere ("running clubs in the United Kingdom", "technology companies hire...") speak about
the superset itself; writing the specific value there would invent a claim the cloud never
made, so they stay. An echo is recognised by two signs, both required:

- the words before it are the ones before the value in what was sent, in the second person
  ("I work at" -> "you work at"; "I'm" -> "you're"; "my" -> "your"; "As a practising"), and
- the sentence addresses the user before it ("you", "your") or opens with "As a(n)".

A generalized text shared by two different values, or also written by the user as such, is
ambiguous and never restored. ``EchoRestorer`` does the same on a stream: it holds the text
back to the end of each sentence (only when the request had generalizations).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

_SECOND_PERSON = {
    "i": {"you"},
    "i'm": {"you're", "are"},
    "am": {"are"},
    "my": {"your"},
    "me": {"you"},
    "we": {"you"},
    "we're": {"you're", "are"},
    "our": {"your"},
    "mine": {"yours"},
}
_ADDRESSED = re.compile(r"\byou(?:r|'re|rs|rself)?\b|^\s*As\s+an?\b", re.I)
_SENTENCE_END = re.compile(r"[.!?\n]")
_LAST_WORD = re.compile(r"([\w'’-]+)\W*$")


@dataclass(frozen=True)
class Generalization:
    """One value the budget generalized: as written (never logged), as sent, and the word
    before it in what was sent (the frame an echo repeats)."""

    kind: str
    written: str
    sent: str
    before: str = ""


def _frame(word: str) -> set[str]:
    word = word.casefold().replace("’", "'")
    return {word, *_SECOND_PERSON.get(word, ())}


def _unambiguous(generalized: Sequence[Generalization]) -> list[Generalization]:
    by_sent: dict[str, set[str]] = {}
    for g in generalized:
        by_sent.setdefault(g.sent, set()).add(g.written.casefold())
    written = {g.written.casefold() for g in generalized}
    return [
        g
        for g in generalized
        if len(by_sent[g.sent]) == 1 and g.sent.casefold() not in written and g.sent.strip()
    ]


def restore_echoes(answer: str, generalized: Sequence[Generalization]) -> tuple[str, int]:
    """``answer`` with each echo of a generalized value given back its written value, and how
    many were restored."""
    count = 0
    for g in _unambiguous(generalized):
        frame = _frame(g.before) if g.before else None
        pattern = re.compile(rf"(?<![\w-]){re.escape(g.sent)}(?![\w-])")
        out, cursor = [], 0
        for m in pattern.finditer(answer):
            start = max((e.end() for e in _SENTENCE_END.finditer(answer, 0, m.start())), default=0)
            before = answer[start : m.start()]
            last = _LAST_WORD.search(before)
            framed = frame is not None and last is not None and last.group(1).casefold() in frame
            if framed and _ADDRESSED.search(before):
                out.append(answer[cursor : m.start()] + g.written)
                cursor = m.end()
                count += 1
        answer = "".join(out) + answer[cursor:]
    return answer, count


class RestorerLike(Protocol):
    def feed(self, chunk: str) -> str: ...

    def flush(self) -> str: ...


class EchoRestorer:
    """Wraps a streaming restorer: its output, held to sentence ends, with echoes restored."""

    def __init__(self, inner: RestorerLike, generalized: Sequence[Generalization]) -> None:
        self.inner, self.generalized = inner, list(generalized)
        self.restored = 0
        self._held = ""

    def feed(self, chunk: str) -> str:
        self._held += self.inner.feed(chunk)
        ends = list(_SENTENCE_END.finditer(self._held))
        if not self.generalized or not ends:
            return self._release(len(self._held)) if not self.generalized else ""
        return self._release(ends[-1].end())

    def flush(self) -> str:
        self._held += self.inner.flush()
        return self._release(len(self._held))

    def _release(self, upto: int) -> str:
        ready, self._held = self._held[:upto], self._held[upto:]
        if not self.generalized:
            return ready
        text, n = restore_echoes(ready, self.generalized)
        self.restored += n
        return text
