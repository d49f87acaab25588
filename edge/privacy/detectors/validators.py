"""Checksum and shape validators for pattern recognizers, kept in a registry by name.

A validator receives the matched value and returns True when it is plausible. Recognizers
declared in YAML name them (``validator: luhn``); an unknown name is a configuration error.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable

from privsplit.shared.errors import ConfigError

Validator = Callable[[str], bool]
_VALIDATORS: dict[str, Validator] = {}


def validator(name: str) -> Callable[[Validator], Validator]:
    def deco(fn: Validator) -> Validator:
        _VALIDATORS[name] = fn
        return fn

    return deco


def get_validator(name: str) -> Validator:
    if name not in _VALIDATORS:
        raise ConfigError(
            f"unknown validator '{name}'; valid validators: {', '.join(sorted(_VALIDATORS))}"
        )
    return _VALIDATORS[name]


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


@validator("luhn")
def luhn(value: str) -> bool:
    digits = _digits(value)
    if not 12 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@validator("iban")
def iban(value: str) -> bool:
    compact = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@validator("aba_routing")
def aba_routing(value: str) -> bool:
    d = [int(c) for c in _digits(value)]
    if len(d) != 9:
        return False
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


@validator("ip")
def ip(value: str) -> bool:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (addr.version == 4 and value.count(".") != 3)


@validator("us_ssn")
def us_ssn(value: str) -> bool:
    """Structurally possible (area not 000, group not 00, serial not 0000). Famous invalid
    numbers such as 078-05-1120 are still redacted: a number that *looks* like an SSN is
    treated as one (fail closed)."""
    d = _digits(value)
    if len(d) != 9 or len(set(d)) == 1:
        return False
    return d[:3] != "000" and d[3:5] != "00" and d[5:] != "0000"


@validator("not_date")
def not_date(value: str) -> bool:
    """Rejects digit groups that read as a calendar date or a time (for phone numbers)."""
    compact = value.strip()
    if re.fullmatch(r"(19|20)\d\d[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])", compact):
        return False
    if re.fullmatch(r"(0?[1-9]|[12]\d|3[01])[-/.](0?[1-9]|1[0-2])[-/.](19|20)\d\d", compact):
        return False
    if re.fullmatch(r"(0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])[-/.](19|20)\d\d", compact):
        return False
    return 7 <= len(_digits(value)) <= 15


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


@validator("high_entropy")
def high_entropy(value: str) -> bool:
    """A token that looks machine-generated: long, mixed character classes, high entropy."""
    if len(value) < 20:
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    return classes >= 3 and shannon_entropy(value) >= 3.5


@validator("has_digit")
def has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value)


@validator("letters_and_digits")
def letters_and_digits(value: str) -> bool:
    """A vehicle plate or a code: both letters and digits in it."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


@validator("calendar_date")
def calendar_date(value: str) -> bool:
    """Rejects version numbers and fractions that only look like numeric dates."""
    parts = [int(p) for p in re.findall(r"\d+", value)]
    if len(parts) < 3:
        return True
    return any(1 <= p <= 31 for p in parts[:2]) and not any(p == 0 for p in parts[:2])


@validator("age_over_89")
def age_over_89(value: str) -> bool:
    """HIPAA Safe Harbor keeps ages under 90; 90 and over are identifying."""
    return value.isdigit() and 90 <= int(value) <= 130
