"""What kind of answer a question expects, and whether an answer is of that kind.

Contract:

- ``expected_kind(question)`` is ``"number"`` for a question that asks for a count, an
  amount or a computed value ("How many ...", "How much ...", "What is the total of ...",
  "... in billions?"), ``"date"`` for one that asks when ("When ...", "On what date ...",
  "Which year ..."), else ``""`` (no check). A question that asks several things
  (``retrieve.parts_of``) expects no single kind: ``""``.
- ``fits(kind, answer)``: a number answer holds a digit or a number word ("ninety",
  "twice"); a date answer holds a month or weekday name, a year, or a numeric date
  ("03/14/2021", "2021-03-14"). Any answer fits ``""``.
- ``hint(kind)`` is the line added to the question when the edge model's first answer does
  not fit (the answer step asks once more, ``answer.answer_locally``).
- ``holds_value(answer, value)``: the answer has the value's leading number ("$123,750" in
  "The total is $123,750."; separators and a trailing ".0" do not matter).

Pure functions of text: no model, nothing logged.
"""

from __future__ import annotations

import re
from typing import Literal

from privsplit.edge.pipeline.arith import asks_sum
from privsplit.edge.pipeline.retrieve import parts_of

Kind = Literal["number", "date", ""]

_NUMBER_ASKED = re.compile(
    r"^\W*how (?:many|much|long|old|far|often)\b"
    r"|\bwhat (?:is|was|are|were) the (?:number|amount|sum|difference|cost|price|fee|value"
    r"|percentage|rate|count|quantity|dose|dosage)\b"
    r"|\b(?:difference between|in (?:thousands|millions|billions|trillions)\b)",
    re.IGNORECASE,
)
_DATE_ASKED = re.compile(
    r"^\W*when\b|\b(?:on )?(?:what|which) (?:date|day|year|month)\b", re.IGNORECASE
)
_NUMBER_WORDS = (
    r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion|once|twice|thrice|dozen|none|no"
)
_HAS_NUMBER = re.compile(r"\d|\b(?:" + _NUMBER_WORDS + r")\b", re.IGNORECASE)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_HAS_DATE = re.compile(
    r"\b(?:" + _MONTHS + r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b|\b(?:1[5-9]|20)\d{2}\b",
    re.IGNORECASE,
)
_LEADING_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def expected_kind(question: str) -> Kind:
    """The kind of answer ``question`` asks for (see the module docstring)."""
    if len(parts_of(question)) > 1:
        return ""
    if _DATE_ASKED.search(question):
        return "date"
    if _NUMBER_ASKED.search(question) or asks_sum(question):
        return "number"
    return ""


def fits(kind: Kind, answer: str) -> bool:
    """The answer is of the kind asked (always, for ``""``)."""
    if kind == "number":
        return bool(_HAS_NUMBER.search(answer))
    if kind == "date":
        return bool(_HAS_DATE.search(answer))
    return True


def hint(kind: Kind) -> str:
    """The line that asks the edge model for that kind of answer."""
    what = {"number": "the number", "date": "the date"}.get(kind, "the answer")
    return f"Answer with {what} written in the private context."


def _digits(text: str) -> str:
    digits = text.replace(",", "")
    return digits[:-2] if digits.endswith(".0") else digits


def holds_value(answer: str, value: str) -> bool:
    """The answer has the leading number of ``value`` (see the module docstring)."""
    first = _LEADING_NUMBER.search(value)
    if first is None:
        return value.strip().lower() in answer.lower()
    wanted = _digits(first.group(0))
    return any(_digits(m.group(0)) == wanted for m in _LEADING_NUMBER.finditer(answer))
