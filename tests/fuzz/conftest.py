"""Fuzzing settings and the hostile alphabet shared by the fuzz tests.

Example counts are small by default so the whole folder runs in well under a minute;
``FUZZ_EXAMPLES=N`` raises each test's count to N (bench runs). Examples are derandomized
in CI (``CI`` set) so a failure reproduces; locally hypothesis explores new ones each run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def examples(default: int) -> int:
    return FUZZ_EXAMPLES or default


def fuzz(default: int, **kwargs):
    """``@settings`` for one fuzz test: its example count, no deadline (a shared 2-core
    machine), no database writes in the tree."""
    return settings(
        max_examples=examples(default),
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        **kwargs,
    )


# What hostile text is made of: placeholder look-alikes (ours, escaped, foreign, broken),
# bidi marks, zero-width characters and our own escape mark, homoglyphs, NUL and controls.
LOOKALIKES = [
    "[PERSON_1]",
    "[PERSON_2]",
    "[EMAIL_ADDRESS_1]",
    "[\u2060PERSON_1]",
    "[\u2060\u2060ID_CODE_1]",
    "[PERSON_1",
    "PERSON_1]",
    "[PERSON]",
    "[person_1]",
    "[ＰERSON_1]",
    "[PΕRSON_1]",  # a Greek capital epsilon
    "[" + "A" * 60 + "_1]",
    "[\u2060" + "B" * 60 + "_2]",  # escaped, and longer than a short restore buffer
    "[",
    "]",
    "_",
    "[[",
    "]]",
]
SPECIALS = [
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u200d",  # ZERO WIDTH JOINER
    "\u200c",  # ZERO WIDTH NON-JOINER
    "\u200b",  # ZERO WIDTH SPACE
    "\u2060",  # WORD JOINER (the vault's escape mark)
    "\ufeff",
    "\x00",
    "\x1b",
    "\r",
    "\n",
    "\t",
    "а",  # Cyrillic a
    "е",  # Cyrillic ie
    "Ο",  # Greek omicron
    "ｍ",  # fullwidth m
    "ﬁ",  # a ligature NFKC splits
    "é",
    "e\u0301",
    "👩\u200d💻",
]
pieces = st.one_of(
    st.sampled_from(LOOKALIKES),
    st.sampled_from(SPECIALS),
    st.text(max_size=6),
    st.sampled_from(["Maria", " ", "Gonzalez", "@", ".", "1", "0"]),
)
hostile_text = st.lists(pieces, max_size=30).map("".join)
