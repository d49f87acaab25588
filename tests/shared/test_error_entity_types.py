"""A privacy refusal names its entity types on the wire (type names only, never a value)."""

from __future__ import annotations

from privsplit.shared.errors import (
    ENTITY_TYPES_METADATA_KEY,
    InvalidRequest,
    PrivacyBlocked,
    ReidBudgetExceeded,
    entity_types_metadata,
)


def test_type_names_pass_and_anything_else_is_left_out() -> None:
    exc = ReidBudgetExceeded("over budget", entity_types=("AGE", "LOCATION", "Leeds", "37", "AGE"))
    assert entity_types_metadata(exc) == ((ENTITY_TYPES_METADATA_KEY, "AGE,LOCATION"),)
    assert entity_types_metadata(PrivacyBlocked("x", entity_types=("Maria Gonzalez",))) == ()
    assert entity_types_metadata(InvalidRequest("x")) == ()
