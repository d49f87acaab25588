"""The findings of quasi-identifier extraction (shared by ``extract`` and ``people``): a
``Finding`` with offsets and its generalization ladder of ``Level``s."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    text: str  # what the span reads at this level
    bits: float  # surprisal of what this level reveals
    name: str  # "exact", "band", "region", ... (recorded in the audit decisions)


@dataclass(frozen=True)
class Finding:
    kind: str  # AGE, BIRTH_DATE, SEX, LOCATION, PROFESSION, FAMILY, EVENT_DATE
    start: int
    end: int
    value: str  # as written (never logged)
    attribute: str  # accounting key: one per fact about the person ("age", "location", ...)
    ladder: tuple[Level, ...]
