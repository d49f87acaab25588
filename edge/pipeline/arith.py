"""Exact arithmetic and number scales on the device, so the small model never computes in its head.

Contract:

- ``evaluate(expression)`` computes an arithmetic expression exactly (``Fraction``). It parses
  with ``ast`` and walks a whitelist: numeric literals (int, float; not bool or complex), unary
  ``+ -`` and binary ``+ - * / ** %``. Nothing else is accepted (no names, calls, attributes,
  subscripts, comparisons, strings), ``eval`` is never used, and the work is bounded: at most
  ``MAX_CHARS`` characters and ``MAX_NODES`` nodes, integer exponents up to ``MAX_EXPONENT``,
  every literal and intermediate result within ``MAX_MAGNITUDE``. A refusal is an
  ``InvalidRequest`` that says why.
- ``amounts(text, scale_hint)`` reads amounts ("$72,705", "72.7 billion", "4.5%", "€3bn").
- ``computations(question, notes)`` returns lines computed from the amounts in the notes:
  each money amount in a readable scale (a table "(in millions)" counts as the scale of its
  plain currency numbers: ``table_scale``), the scale the question asks for, and a sum or
  difference when the question asks for one. The merge reads these lines next to the notes.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from privsplit.shared.errors import InvalidRequest

MAX_CHARS = 256
MAX_NODES = 64
MAX_EXPONENT = 64
MAX_MAGNITUDE = Fraction(10) ** 36

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
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Mod: lambda a, b: a % b,
}


def _refuse(why: str) -> InvalidRequest:
    return InvalidRequest(f"arithmetic refused: {why}")


def _bounded(value: Fraction) -> Fraction:
    if abs(value) > MAX_MAGNITUDE or value.denominator > MAX_MAGNITUDE:
        raise _refuse(f"a value exceeds 1e{int(math.log10(MAX_MAGNITUDE))}")
    return value


def evaluate(expression: str) -> Fraction:
    """The exact value of an arithmetic expression (see the module docstring)."""
    if not isinstance(expression, str) or len(expression) > MAX_CHARS:
        raise _refuse(f"the expression must be text of at most {MAX_CHARS} characters")
    try:
        tree = ast.parse(expression.replace(",", ""), mode="eval")
    except (SyntaxError, ValueError):
        raise _refuse("not an arithmetic expression") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise _refuse(f"more than {MAX_NODES} parts")
    return _eval(tree.body)


def _eval(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refuse(f"{type(value).__name__} literals are not numbers")
        if isinstance(value, float) and not math.isfinite(value):
            raise _refuse("the number is not finite")
        return _bounded(Fraction(repr(value)) if isinstance(value, float) else Fraction(value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise _refuse(f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node.op, ast.Div | ast.Mod) and right == 0:
            raise _refuse("division by zero")
        return _bounded(operation(left, right))
    raise _refuse(f"{type(node).__name__} is not allowed")


def _power(base: Fraction, exponent: Fraction) -> Fraction:
    if exponent.denominator != 1 or abs(exponent) > MAX_EXPONENT:
        raise _refuse(f"exponents must be whole numbers within +-{MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise _refuse("division by zero")
    size = max(abs(base.numerator), base.denominator)
    if size > 1 and abs(int(exponent)) * math.log10(size) > math.log10(MAX_MAGNITUDE):
        raise _refuse(f"a value exceeds 1e{int(math.log10(MAX_MAGNITUDE))}")
    return _bounded(base ** int(exponent))


def format_number(value: Fraction, *, places: int = 6) -> str:
    """Exact when it ends within ``places`` decimals, else rounded; thousands separated."""
    scaled = abs(round(value * 10**places))  # exact: Fraction rounds half to even
    sign = "-" if value < 0 and scaled else ""
    whole, frac = divmod(scaled, 10**places)
    digits = f"{frac:0{places}d}".rstrip("0") if frac else ""
    text = f"{whole:,}"
    return f"{sign}{text}.{digits}" if digits else f"{sign}{text}"


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
    r"|tn|[kKmMbB](?![A-Za-z])))?"
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_TABLE_SCALE = re.compile(r"\(in (thousands|millions|billions)\b", re.IGNORECASE)
_TARGET = re.compile(r"\bin (thousands|millions|billions|trillions)\b", re.IGNORECASE)
_SUM = re.compile(r"\b(total|sum|combined|altogether|add(?:ed)? up)\b", re.IGNORECASE)
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


def computations(question: str, notes: list[tuple[str, str, str]], *, limit: int = 8) -> list[str]:
    """Lines computed from the amounts in the notes; ``notes`` holds (note, scale, source)
    triples: the table scale (``table_scale``) of the note's plain currency numbers, and the
    text it was copied from. An amount the source only has as part of a longer number (a
    note cut short: "$1" of "$1,250") is left out."""
    seen: dict[str, Amount] = {}
    for note, scale_hint, source in notes:
        for a in amounts(note, scale_hint=scale_hint):
            number = _NUMBER.search(a.text)
            whole = number and re.search(
                r"(?<![\d,.])" + re.escape(number.group(0)) + r"(?![\d]|[,.]\d)", source
            )
            if whole:
                seen.setdefault(a.text, a)
    money = [a for a in seen.values() if not a.percent][:limit]
    lines = []
    target = _TARGET.search(question)
    for a in money:
        if a.scaled or abs(a.value) >= 10**6:
            written = in_scale(a, target.group(1).lower().rstrip("s")) if target else readable(a)
            if written != a.text:
                lines.append(f"{a.text} = {written}")
    if len(money) >= 2 and len({a.currency for a in money}) == 1:
        if _SUM.search(question):
            total = sum((a.value for a in money), Fraction(0))
            lines.append(f"sum of {', '.join(a.text for a in money)} = {_plain(money[0], total)}")
        if _DIFF.search(question) and len(money) == 2:
            diff = money[0].value - money[1].value
            lines.append(f"{money[0].text} - {money[1].text} = {_plain(money[0], diff)}")
    return lines


def _plain(like: Amount, value: Fraction) -> str:
    return readable(Amount(text="", value=value, currency=like.currency))
