"""Counted quantities and the note lines a computation may use, so sums stay on topic.

Contract:

- ``asked_unit(question)`` is the unit a question counts in ("How many minutes ..." ->
  "minute", "the number of days ..." -> "day"), singular and lowercased; "" when it asks none.
- ``is_money_word(unit)``: dollars, euros, ... are amounts (``arith.amounts``), not counts.
- ``asked_count(question)`` is how many items the question says it combines ("the two
  printer outages" -> 2, "the 3 invoices" -> 3); None when it says none.
- ``quantities(text, unit)`` reads the numbers written with that unit ("24 minutes",
  "1,200 days", "1 day"); the number must stand alone (not part of a date, an id or a longer
  number).
- ``sentences(notes, relevance)`` splits notes into sentences, drops repeats (the same
  sentence quoted twice, by the model and by the device, or from two overlapping chunks;
  also a sentence contained in a longer one kept) and scores each with ``relevance``
  (the question's rarity-weighted terms it covers, ``retrieve.Reading.coverage``).
- ``on_topic(scored, count)`` keeps the sentences that score near the best one (within
  ``TOPIC_SHARE`` of its score): a sum adds the amounts of the planted lines, not of every line that
  happens to share one word with the question. With ``count``, at most ``count`` of them.

No model; nothing here logs text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

TOPIC_SHARE = 0.8
_COUNT_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "both": 2,
}
_UNIT = re.compile(
    r"\b(?:how many|number of|total (?:number of )?|in)\s+(?P<unit>[a-z]+s)\b", re.IGNORECASE
)
_MONEY = frozenset({"dollar", "euro", "pound", "yen", "franc", "cent", "usd", "eur", "gbp"})
_NOT_UNITS = frozenset({"thousands", "millions", "billions", "trillions", "terms", "words"})
_COUNT = re.compile(
    r"\b(?:the|these|those|all|both)\s+(?P<n>two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(
    r"\n+|(?<=[.;!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bProf\.)(?<!\bSt\.)(?<!\bNo\.)\s+(?=[A-Z(\-*\d$])"
)
_LEAD = re.compile(r"^[^\w$(\[\"'€£¥]+")
_NORM = re.compile(r"[^a-z0-9$]+")


def asked_unit(question: str) -> str:
    """The unit the question counts in, singular ("minute"); "" when none."""
    for m in _UNIT.finditer(question):
        word = m.group("unit").lower()
        if word not in _NOT_UNITS:
            return word[:-1]
    return ""


def is_money_word(unit: str) -> bool:
    """Whether a counted unit is money (then amounts, not quantities, are summed)."""
    return unit in _MONEY


def asked_count(question: str) -> int | None:
    """How many items the question combines ("the two ..."); None when it does not say."""
    m = _COUNT.search(question)
    if m is None:
        return None
    n = m.group("n").lower()
    return int(n) if n.isdigit() else _COUNT_WORDS[n]


def quantities(text: str, unit: str) -> list[tuple[str, Fraction]]:
    """(text, value) of each number written with ``unit`` (singular or plural)."""
    if not unit:
        return []
    pattern = re.compile(
        r"(?<![\w.,/:-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s?(?:" + re.escape(unit) + r"s?)\b",
        re.IGNORECASE,
    )
    return [
        (m.group(0), Fraction(m.group(1).replace(",", "") + (m.group(2) or "")))
        for m in pattern.finditer(text)
    ]


@dataclass(frozen=True)
class Scored:
    text: str
    score: float
    source: int  # index of the note it came from


def _key(text: str) -> str:
    return _NORM.sub(" ", text.lower()).strip()


def sentences(notes: Sequence[str], relevance: Callable[[str], float]) -> list[Scored]:
    """The notes' distinct sentences, in order, each with its relevance."""
    seen: list[tuple[str, Scored]] = []
    for i, note in enumerate(notes):
        for raw in _SENTENCE.split(note):
            text = _LEAD.sub("", raw.strip())  # ": Termination: ..." cut from its line
            key = _key(text)
            if not key:
                continue
            if any(key in k for k, _ in seen):
                continue  # the same sentence again, or a piece of one kept
            seen = [(k, s) for k, s in seen if k not in key]  # a longer copy replaces a piece
            seen.append((key, Scored(text, relevance(text), i)))
    return [s for _, s in seen]


def on_topic(scored: Sequence[Scored], count: int | None = None) -> list[Scored]:
    """The sentences scoring at least ``TOPIC_SHARE`` of the best (best first, ties in order);
    at most ``count`` when given."""
    if not scored:
        return []
    best = max(s.score for s in scored)
    if best <= 0:
        return []
    keep = [s for s in scored if s.score >= best * TOPIC_SHARE]
    keep.sort(key=lambda s: -s.score)
    return keep[:count] if count else keep
