"""Egress guard: disguised values are blocked, clean text passes, failures block."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import Detector, create_detector
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.policy import Policy
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import PrivacyBlocked


@pytest.fixture()
def vault() -> Vault:
    v = Vault()
    v.placeholder_for("PERSON", "John Smith")
    v.placeholder_for("CREDIT_CARD", "4111 1111 1111 1111")
    v.placeholder_for("EMAIL_ADDRESS", "ana@example.org")
    return v


@pytest.fixture(scope="module")
def guard() -> EgressGuard:
    return EgressGuard(detectors=[create_detector("patterns")])


@pytest.mark.parametrize(
    "outbound,entity_type",
    [
        (["Ask john smith about it"], "PERSON"),
        (["Ask JOHN SMITH about it"], "PERSON"),
        (["Ask J o h n   S m i t h about it"], "PERSON"),
        (["Ask John\nSmith"], "PERSON"),
        (["Ask Jоhn Smіth (Cyrillic o and i)"], "PERSON"),
        (["Ask Ｊｏｈｎ Ｓｍｉｔｈ (fullwidth)"], "PERSON"),
        (["Ask Jo\u200bhn Sm\u00adith (invisible)"], "PERSON"),
        (["Ask Jóhn Smíth (accents)"], "PERSON"),
        (["card 4111-1111", "1111-1111 please"], "CREDIT_CARD"),
        (["Is the total for John", "Smith correct?"], "PERSON"),
        (["mail ANA@EXAMPLE.ORG"], "EMAIL_ADDRESS"),
        (["card 4lll 1111 1lll 1111"], "CREDIT_CARD"),
    ],
)
def test_disguised_vault_values_are_blocked(
    guard: EgressGuard, vault: Vault, outbound, entity_type
) -> None:
    with pytest.raises(PrivacyBlocked) as info:
        guard.check(outbound, vault)
    assert entity_type in info.value.entity_types
    assert "Smith" not in info.value.message and "4111" not in info.value.message


@pytest.mark.parametrize(
    "outbound",
    [
        ["[PERSON_1] paid with [CREDIT_CARD_1]; mail [EMAIL_ADDRESS_1]."],
        ["Blacksmithing is a craft; Johnson and Smithers are different people."],
        ["A 45-year-old man, BMI 31, on an ACE inhibitor since 2010."],
    ],
)
def test_clean_text_passes(guard: EgressGuard, vault: Vault, outbound) -> None:
    guard.check(outbound, vault)


def test_structured_detectors_catch_values_the_vault_never_saw(guard: EgressGuard) -> None:
    with pytest.raises(PrivacyBlocked) as info:
        guard.check(["summary: SSN 219-09-9999, key AKIAIOSFODNN7EXAMPLE"], Vault())
    assert set(info.value.entity_types) >= {"US_SSN", "API_KEY"}


def test_allowed_types_and_allow_list_do_not_block() -> None:
    policy = Policy(allow_list=["support@acme.com"])
    guard = EgressGuard(detectors=[create_detector("patterns")], policy=policy)
    guard.check(["I just turned 42; write to support@acme.com"], Vault())


class _Broken(Detector):
    name = "broken"

    def detect(self, text: str):
        raise RuntimeError("model crashed on John Smith")


def test_a_detector_that_raises_blocks(vault: Vault) -> None:
    guard = EgressGuard(detectors=[_Broken()])
    with pytest.raises(PrivacyBlocked) as info:
        guard.check(["harmless"], vault)
    assert "John" not in info.value.message


def test_non_string_outbound_blocks(guard: EgressGuard, vault: Vault) -> None:
    with pytest.raises(PrivacyBlocked):
        guard.check([b"bytes"], vault)  # type: ignore[list-item]
