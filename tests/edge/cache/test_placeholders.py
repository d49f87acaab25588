"""Placeholder numbering made independent of the conversation (edge/cache/placeholders.py)."""

from __future__ import annotations

import pytest

from privsplit.edge.cache.answers import canonical
from privsplit.edge.cache.placeholders import normalize, rename
from privsplit.edge.privacy.vault import ESCAPE


@pytest.mark.parametrize(
    "text, expected",
    [
        ("email [PERSON_1]", "email [PERSON_1]"),
        ("email [PERSON_3]", "email [PERSON_1]"),
        (
            "[PERSON_3] met [PERSON_1], then [PERSON_3]",
            "[PERSON_1] met [PERSON_2], then [PERSON_1]",
        ),
        ("[PERSON_2] at [EMAIL_ADDRESS_5]", "[PERSON_1] at [EMAIL_ADDRESS_1]"),
        ("[CASE_2024_7] and [CASE_2024_2]", "[CASE_2024_1] and [CASE_2024_2]"),
        # a user's literal (escaped) token and a masked form are not placeholders
        (f"[{ESCAPE}PERSON_4] and [PERSON_4]", f"[{ESCAPE}PERSON_4] and [PERSON_1]"),
        ("card [CREDIT_CARD] for [PERSON_9]", "card [CREDIT_CARD] for [PERSON_1]"),
    ],
)
def test_normalize_renumbers_by_first_appearance(text: str, expected: str) -> None:
    norm = normalize(text)
    assert norm.text == expected
    assert rename(norm.text, norm.to_request) == text  # and maps back exactly


def test_two_conversations_meet_on_one_key_and_map_back_to_their_own() -> None:
    a, b = (
        normalize("email [PERSON_1] about [PERSON_2]"),
        normalize("email [PERSON_7] about [PERSON_3]"),
    )
    assert a.text == b.text
    answer = "Dear [PERSON_1], about [PERSON_2]: yes."
    assert rename(answer, b.to_request) == "Dear [PERSON_7], about [PERSON_3]: yes."


def test_rename_refuses_a_placeholder_the_mapping_lacks() -> None:
    norm = normalize("greet [PERSON_4]")
    assert rename("Hi [PERSON_4], I am [PERSON_2]", norm.to_normal) is None
    assert rename("Hi [PERSON_4]", norm.to_normal) == "Hi [PERSON_1]"


def test_canonical_keeps_indentation_and_drops_spacing_noise() -> None:
    assert canonical("  fix  this:\r\n    x  =  1  \n") == "fix this:\n    x = 1"
    assert canonical("a\tb") == canonical("a b")
    assert canonical("line\n  indented") != canonical("line\nindented")
