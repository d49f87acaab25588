"""bench/longdocs scoring: is an answer right? Exact, with numbers read as numbers.

Contract of ``correct(answer, gold)``: every gold item must be in the answer.

- A numeric gold item ("93", "3,330", "20.1 billion") is found when the answer holds a number
  whose value, with its own scale word ("20,092 million", "$20.092 billion"), equals the gold
  value after rounding to the gold's precision (its decimals, in its scale). A gold item with a
  scale needs the answer's number to carry one, or the question to ask for that scale ("...,
  in billions?" answered "20.1": the question gives the unit; without it a bare "20.092" does
  not say billions); a gold item without one is not matched by a scaled number ("7.5
  million" is not 7.5). Numbers are
  whole tokens: gold "15" is not found in "150" or "1.5".
- Any other gold item is found when its words appear in the answer as whole words, case,
  punctuation and spacing ignored ("Dotarem 15 mL" in "Dotarem 15 mL."). A list ("A, B, and
  C") counts as its items.

It is stricter than bench/delegation's substring rule, which counts "15" in "150 days" and "7.5"
in "7.5 million".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SCALE = r"(?:thousands?|millions?|billions?|trillions?|bn|mn)\b"
_GOLD_NUMBER = re.compile(
    rf"^\$?\s?(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+)(?P<dec>\.\d+)?(?:\s?(?P<scale>{_SCALE}))?$"
)
_ANSWER_NUMBER = re.compile(
    rf"(?<![\w.,])(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+)(?P<dec>\.\d+)?(?![\w]|[.,]\d)"
    rf"(?:\s?(?P<scale>{_SCALE}))?",
    re.IGNORECASE,
)
_ASKED = re.compile(r"\bin (thousands|millions|billions|trillions)\b", re.IGNORECASE)
_SHORT = {"bn": "billion", "mn": "million"}


def _scale(word: str | None) -> int:
    if not word:
        return 1
    word = _SHORT.get(word.lower(), word.lower().rstrip("s"))
    return SCALES[word]


def _number_found(gold: re.Match, answer: str, asked: str = "") -> bool:
    places = len(gold.group("dec") or ".") - 1
    unit = _scale(gold.group("scale"))
    want = Decimal(gold.group("num").replace(",", "") + (gold.group("dec") or ""))
    quantum = Decimal(1).scaleb(-places)
    for m in _ANSWER_NUMBER.finditer(answer):
        scale = m.group("scale")
        if not scale and gold.group("scale") and asked and _scale(asked) == unit:
            scale = asked  # "20.1" to "..., in billions?"
        if bool(scale) != bool(gold.group("scale")):
            continue
        value = Decimal(m.group("num").replace(",", "") + (m.group("dec") or ""))
        value = value * _scale(scale) / unit
        if value.quantize(quantum, rounding=ROUND_HALF_UP) == want:
            return True
    return False


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w.]+", " ", text.casefold()).replace(". ", " ").split()).strip(".")


def item_found(item: str, answer: str, question: str = "") -> bool:
    """One gold item in the answer (see the module docstring)."""
    number = _GOLD_NUMBER.match(item.strip())
    if number:
        asked = _ASKED.search(question)
        return _number_found(number, answer, asked.group(1) if asked else "")
    needle = _norm(item)
    return bool(needle) and bool(
        re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", _norm(answer))
    )


def items_of(gold: Sequence[str]) -> list[str]:
    """Gold items; a list written as text ("A, B, and C") counts as its items."""
    out = []
    for g in gold:
        if _GOLD_NUMBER.match(g.strip()):
            out.append(g.strip())
        else:
            out += [i.strip() for i in re.split(r",\s+(?:and\s+)?|\s+and\s+", g) if i.strip()]
    return out


def correct(answer: str, gold: Sequence[str], question: str = "") -> bool:
    """Every gold item is in the answer (``question``: the scale it asks for, if any)."""
    items = items_of(gold)
    return bool(items) and all(item_found(i, answer or "", question) for i in items)
