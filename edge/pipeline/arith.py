"""Exact arithmetic and number scales on the device, so the small model never computes in its head.

Contract:

- Exact values come from ``expr`` (the safe evaluator and ``format_number``).
- ``amounts(text, scale_hint)`` reads amounts ("$72,705", "72.7 billion", "4.5%", "€3bn").
- ``compute(question, notes, relevance=...)`` returns a ``Computation``: the lines
  (``computations``) and the one result the question asks for, written as an answer
  (``answer``: the asked total, difference, conversion into the asked scale, or quantity in
  the asked unit; "" when none), which the answer step gives as it is (``answer.py``).
  "total" asks for a sum as a noun ("the total of", "in total") or over counted items ("the
  total cost of the two invoices"); "total net revenue" is a line's label, looked up.
- ``computations(question, notes, relevance=...)`` returns lines computed from the amounts in
  the notes, the answer's first. The notes are split into sentences, each said once
  (``units.sentences``); every amount gets the relevance of its label (the words before it in
  its sentence). The amount most about the question is written in the scale the question asks
  for ("in billions"), else in a readable one, rounded half up to one decimal with the exact
  value next to it ("Total net revenue $ 20,092 = $20.1 billion (exactly $20.092 billion)").
  A sum or difference the question asks for adds the amounts (or, for "how many minutes ...",
  the quantities in that unit: ``units``) whose labels are about the question, each sentence
  once; when the question says how many ("the two outages") and a different number of them
  matches, nothing is summed (a sum is never a guess). A question counting in a unit with
  nothing to combine ("How many days of notice ...?") gets the quantity in that unit from the
  lines most about it, with its label, when those lines agree on it. Then every other money amount in a
  readable scale (a table "(in millions)" counts as the scale of its plain currency numbers:
  ``table_scale``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from privsplit.edge.pipeline import units
from privsplit.edge.pipeline.expr import MAX_MAGNITUDE, format_number

SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
READABLE = ("trillion", "billion", "million")  # thousands read fine as they are
_SCALE_WORDS = {
    "k": "thousand",
    "thousand": "thousand",
    "thousands": "thousand",
    "m": "million",
    "mn": "million",
    "mm": "million",
    "million": "million",
    "millions": "million",
    "b": "billion",
    "bn": "billion",
    "billion": "billion",
    "billions": "billion",
    "t": "trillion",
    "tn": "trillion",
    "trillion": "trillion",
    "trillions": "trillion",
}


@dataclass(frozen=True)
class Amount:
    """A number as written (``text``) and its value in units (``value``)."""

    text: str
    value: Fraction
    currency: str = ""
    percent: bool = False
    scaled: bool = False  # a scale word or table scale applied


_AMOUNT = re.compile(
    r"(?P<cur>[$€£¥]\s?|\b(?:USD|EUR|GBP|JPY)\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<pct>%|percent\b)|\s?(?P<scale>thousands?|millions?|billions?|trillions?|bn|mn|mm"
    r"|tn|[kKmMbB])(?![A-Za-z]))?"
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_TABLE_SCALE = re.compile(r"\(in (thousands|millions|billions)\b", re.IGNORECASE)
_TARGET = re.compile(r"\bin (thousands|millions|billions|trillions)\b", re.IGNORECASE)
# "total" asks for a sum as a noun ("the total of ...", "in total", "What is the total?") or
# over counted items ("the total cost of the two invoices"); "total net revenue" is a label
_SUM = re.compile(
    r"\b(total(?=\s+of\b|\s*[^\w\s]|\s*$)|in total|sum of|combined|altogether|add(?:ed)? up)\b",
    re.IGNORECASE,
)
_TOTAL = re.compile(r"\btotal\b", re.IGNORECASE)
_DIFF = re.compile(r"\b(difference|how much (?:more|less|higher|lower)|change)\b", re.IGNORECASE)


def amounts(text: str, *, scale_hint: str = "") -> list[Amount]:
    """Money amounts, scaled numbers and percentages in ``text``. A plain number with a
    currency sign takes ``scale_hint`` (the table's "(in millions)") when given."""
    found: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        cur = (m.group("cur") or "").strip()
        word = m.group("scale")
        if word and len(word) == 1 and not cur:
            continue  # "5 m" without a currency is more likely metres or minutes
        scale = _SCALE_WORDS.get(word.lower(), "") if word else ""
        if not scale and cur and scale_hint:
            scale = scale_hint
        if not (cur or scale or m.group("pct")):
            continue  # a bare number: a count, a date part, an id
        value = Fraction(m.group("num").replace(",", "")) * SCALES.get(scale, 1)
        if abs(value) > MAX_MAGNITUDE:
            continue
        found.append(
            Amount(
                text=m.group(0).strip(),
                value=value,
                currency=cur,
                percent=bool(m.group("pct")),
                scaled=bool(scale),
            )
        )
    return found


def in_scale(amount: Amount, scale: str) -> str:
    """``amount`` written in ``scale`` ("$72.705 billion")."""
    return f"{amount.currency}{format_number(amount.value / SCALES[scale])} {scale}"


def readable(amount: Amount) -> str:
    """The largest scale that keeps the value at 1 or more, also rounded to one decimal."""
    scale = next((s for s in READABLE if abs(amount.value) >= SCALES[s]), "")
    if not scale:
        return f"{amount.currency}{format_number(amount.value)}"
    exact = in_scale(amount, scale)
    tenths = amount.value / SCALES[scale] * 10
    half_up = Fraction(math.floor(abs(tenths) + Fraction(1, 2)) * (1 if tenths >= 0 else -1), 10)
    short = f"{amount.currency}{format_number(half_up)} {scale}"
    return exact if exact == short else f"{exact} (about {short})"


def table_scale(text: str, *, at_least: int = 1) -> str:
    """The scale a text declares for its tables ("(in millions)" -> "million") when it
    declares one at least ``at_least`` times (the most frequent one); else ""."""
    counts: dict[str, int] = {}
    for m in _TABLE_SCALE.finditer(text):
        scale = m.group(1).lower().rstrip("s")
        counts[scale] = counts.get(scale, 0) + 1
    best = max(counts, key=lambda k: counts[k], default="")
    return best if best and counts[best] >= at_least else ""


def _whole_in(amount: Amount, source: str) -> bool:
    """The amount's number stands whole in ``source`` (not "$1" cut from "$1,250")."""
    number = _NUMBER.search(amount.text)
    return bool(
        number
        and re.search(r"(?<![\d,.])" + re.escape(number.group(0)) + r"(?![\d]|[,.]\d)", source)
    )


@dataclass(frozen=True)
class _Item:
    text: str  # as written
    value: Fraction
    words: str  # the label: the words before it in its sentence
    label: float  # relevance of the words before it in its sentence
    sentence: float  # relevance of its sentence
    amount: Amount | None = None

    @property
    def rank(self) -> tuple[float, float]:
        return (self.label, self.sentence)


def _items(
    scored: list[units.Scored],
    found: Callable[[str, int], list[tuple[str, Fraction, Any]]],
    relevance: Callable[[str], float],
) -> list[_Item]:
    """Each number ``found`` in the sentences, with the relevance of its label (the words
    between the previous number and it) and of its sentence."""
    out = []
    for s in scored:
        at = 0
        for text, value, extra in found(s.text, s.source):
            pos = s.text.find(text, at)
            label = s.text[at : max(pos, at)]
            at = max(pos, at) + len(text)
            words = " ".join(re.sub(r"[^\w\s,.'-]", " ", label).split()[-8:]).strip(" ,.:")
            out.append(_Item(text, value, words, relevance(label), s.score, extra))
    return out


def _top(items: list[_Item], count: int | None) -> list[_Item]:
    """The items whose label relevance is at least ``units.TOPIC_SHARE`` of the best one's,
    best first (then by sentence relevance); ``count`` of them at most."""
    if not items:
        return []
    best = max(i.label for i in items)
    near = [i for i in items if i.label >= best * units.TOPIC_SHARE and i.sentence > 0]
    near.sort(key=lambda i: (-i.label, -i.sentence))
    return near[:count] if count else near


def _share_of(question: str) -> Callable[[str], float]:
    from privsplit.edge.pipeline.retrieve import terms

    wanted = set(terms(question))
    return lambda text: len(wanted & set(terms(text))) / len(wanted) if wanted else 0.0


def _about(value: Fraction, scale: str, currency: str) -> str:
    """``value`` in ``scale``, rounded half up to one decimal, e.g. "$20.1 billion"."""
    tenths = value / SCALES.get(scale, 1) * 10
    half_up = Fraction(math.floor(abs(tenths) + Fraction(1, 2)) * (1 if tenths >= 0 else -1), 10)
    return f"{currency}{format_number(half_up)} {scale}".strip()


def asks_sum(question: str) -> bool:
    """The question asks to add amounts up (see ``_SUM``)."""
    return bool(_SUM.search(question) or (_TOTAL.search(question) and units.asked_count(question)))


@dataclass(frozen=True)
class Computation:
    """``lines`` computed from the notes; ``answer``: the one result the question asks for
    ("the total of ...", "the difference ...", "... in billions", "how many days ...") as an
    answer, value first ("$123,750 (total of $32,500 + ...)"), or "" when it asks none or the
    device could not compute it."""

    lines: list[str]
    answer: str = ""


def computations(
    question: str,
    notes: list[tuple[str, str, str]],
    *,
    relevance: Callable[[str], float] | None = None,
    limit: int = 8,
) -> list[str]:
    """``compute(...).lines``."""
    return compute(question, notes, relevance=relevance, limit=limit).lines


def compute(
    question: str,
    notes: list[tuple[str, str, str]],
    *,
    relevance: Callable[[str], float] | None = None,
    limit: int = 8,
) -> Computation:
    """Lines computed from the amounts in the notes, the answer's first; ``notes`` holds
    (note, scale, source) triples: the table scale (``table_scale``) of the note's plain
    currency numbers, and the text it was copied from. An amount the source only has as part
    of a longer number (a note cut short: "$1" of "$1,250") is left out. ``relevance`` scores
    a text against the question (default: the share of its terms); sums, differences and the
    asked conversion use the amounts whose label is most about the question, so an unrelated
    amount in a quoted line is never added."""
    relevance = relevance or _share_of(question)
    scored = units.sentences([n for n, _, _ in notes], relevance)

    def money_in(text: str, source: int) -> list[tuple[str, Fraction, Any]]:
        _, scale, src = notes[source]
        return [
            (a.text, a.value, a)
            for a in amounts(text, scale_hint=scale)
            if not a.percent and _whole_in(a, src)
        ]

    def quantities_in(text: str, _: int) -> list[tuple[str, Fraction, Any]]:
        return [(q, v, None) for q, v in units.quantities(text, unit)]

    money = _items(scored, money_in, relevance)
    lines = []
    target = _TARGET.search(question)
    scale = target.group(1).lower().rstrip("s") if target else ""
    unit = units.asked_unit(question)
    count = units.asked_count(question)
    best = _top(money, 1)
    done: set[str] = set()
    answer = ""
    if best and best[0].amount and (scale or best[0].amount.scaled or abs(best[0].value) >= 10**6):
        a = best[0].amount
        written = scale or next((s for s in READABLE if abs(a.value) >= SCALES[s]), "")
        if written:
            exact = in_scale(a, written)
            rounded = _about(a.value, written, a.currency)
            lines.append(
                f"{best[0].words} {a.text} = {rounded}".strip()
                + ("" if exact == rounded else f" (exactly {exact})")
            )
            done.add(a.text)
            if scale:  # the scale the question asks for
                detail = "" if exact == rounded else f"; exactly {exact}"
                answer = f"{rounded} ({best[0].words} {a.text}".strip() + f"{detail})"
    adds = asks_sum(question)
    combine = bool(adds or _DIFF.search(question))
    if unit and not units.is_money_word(unit) and not combine:  # "How many days ...?"
        top = _top(_items(scored, quantities_in, relevance), None)
        if top and len({i.value for i in top}) == 1:  # the lines most about it agree
            lines.append(f"{top[0].words} {top[0].text}".strip())
            answer = answer or f"{top[0].text} ({top[0].words} {top[0].text})"
    if combine:
        if unit and not units.is_money_word(unit):
            found = _items(scored, quantities_in, relevance)
            suffix, like = f" {unit}s", Amount(text="", value=Fraction(0))
        else:
            found, suffix = money, ""
            like = next((i.amount for i in money if i.amount), Amount(text="", value=Fraction(0)))
        top = _top(found, None)  # the question's count must match: a sum is never a guess
        same = len({i.amount.currency for i in top if i.amount}) <= 1
        enough = len(top) >= 2 and (count is None or len(top) == count)
        if enough and same and adds:
            total = sum((i.value for i in top), Fraction(0))
            # "total: R (a + b)": measured on the 0.5B model, "R = a + b" and "a + b = R" had
            # it copy the terms instead of the result
            terms = " + ".join(i.text for i in top)
            lines.append(f"total: {_plain(like, total)}{suffix} ({terms})")
            answer = f"{_plain(like, total)}{suffix} (the sum of {terms})"
        if enough and same and _DIFF.search(question) and len(top) == 2:
            diff = top[0].value - top[1].value
            lines.append(
                f"difference: {_plain(like, diff)}{suffix} ({top[0].text} - {top[1].text})"
            )
            answer = answer or f"{_plain(like, diff)}{suffix} ({top[0].text} - {top[1].text})"
    seen: dict[str, Amount] = {}
    for item in money:
        if item.amount:
            seen.setdefault(item.text, item.amount)
    for a in list(seen.values())[:limit]:
        if a.text in done:
            continue
        if a.scaled or abs(a.value) >= 10**6:
            written = in_scale(a, scale) if scale else readable(a)
            if written != a.text:
                lines.append(f"{a.text} = {written}")
    return Computation(lines, answer)


def _plain(like: Amount, value: Fraction) -> str:
    return readable(Amount(text="", value=value, currency=like.currency))
