"""Egress guard: disguised values are blocked, clean text passes, failures block."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from privsplit.edge.privacy.detectors import Detector, create_detector
from privsplit.edge.privacy.factory import build_egress_guard
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.policy import Policy
from privsplit.edge.privacy.settings import PrivacySettings
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


# ---- only what this request's vault issued is exempt (issue 12, finding 4) ---------------


@pytest.mark.parametrize(
    "outbound,entity_type",
    [
        ("pay with [X_4111111111111111] today", "CREDIT_CARD"),  # a card dressed as a token
        ("pay with [\u2060X_4111111111111111] today", "CREDIT_CARD"),  # escaped user token
        ("ask [PERSON_JOHN_SMITH_99] about it", "PERSON"),  # a known value inside a token
        ("ask [JOHNSMITH_99] about it", "PERSON"),
        ("write to [ANA_EXAMPLE_ORG_1]", "EMAIL_ADDRESS"),  # a known email, its marks dropped
        ("reach me at [PHONE_4155550123_1]", "PHONE_NUMBER"),  # a value the vault never saw
    ],
)
def test_private_values_inside_placeholder_shaped_tokens_are_blocked(
    guard: EgressGuard, vault: Vault, outbound: str, entity_type: str
) -> None:
    with pytest.raises(PrivacyBlocked) as info:
        guard.check([outbound], vault)
    assert entity_type in info.value.entity_types
    assert "4111" not in info.value.message and "Smith" not in info.value.message


def test_a_placeholder_number_the_vault_never_issued_is_not_exempt(
    guard: EgressGuard, vault: Vault
) -> None:
    # [PERSON_1] is issued; a [PERSON_n] the vault never issued is scanned, its number too
    guard.check(["[PERSON_1] and [PERSON_99] met"], vault)  # nothing private inside
    with pytest.raises(PrivacyBlocked) as info:
        guard.check(["[PERSON_1] met [PERSON_4111111111111111]"], vault)  # the card, known
    assert "CREDIT_CARD" in info.value.entity_types


@pytest.mark.parametrize(
    "outbound",
    [
        "[PERSON_1] paid with [CREDIT_CARD_1]; mail [EMAIL_ADDRESS_1].",  # issued
        "the card on file is [CREDIT_CARD].",  # a masked form of a type the vault holds
        "the user wrote [\u2060PERSON_1] literally",  # an escaped user token, nothing inside
        "[EMAIL_ADDRESS_1][PERSON_1][CREDIT_CARD_1]",  # issued, back to back
    ],
)
def test_issued_placeholders_and_masked_forms_still_pass(
    guard: EgressGuard, vault: Vault, outbound: str
) -> None:
    guard.check([outbound], vault)


def test_email_glued_to_an_issued_placeholder_is_blocked(guard: EgressGuard, vault: Vault) -> None:
    # a regression guard: this one was already blocked before finding 4
    with pytest.raises(PrivacyBlocked) as info:
        guard.check(["[EMAIL_ADDRESS_1]x.doe@example.net"], vault)
    assert "EMAIL_ADDRESS" in info.value.entity_types


# ---- the guard judges with the active policy (issue 12, finding 4) ------------------------

STRICT = Path(__file__).resolve().parents[3] / "deploy" / "policies" / "enterprise-strict.yaml"
# a bare domain with no context word: the url recognizer scores it 0.45
DOMAIN_TEXT = "the payslips are on acme-payroll.com now"


def test_strict_policy_threshold_applies_to_the_guard() -> None:
    strict = Policy.from_yaml(STRICT)
    assert strict.min_score == 0.45
    scores = [s.score for s in create_detector("patterns").detect(DOMAIN_TEXT)]
    assert scores and all(strict.min_score <= s < Policy().min_score for s in scores)
    guard = build_egress_guard(PrivacySettings(policy_file=STRICT))
    with pytest.raises(PrivacyBlocked) as info:
        guard.check([DOMAIN_TEXT], Vault())
    assert info.value.entity_types == ("URL",)
    # the default policy (0.5) lets the same text through: the threshold is the policy's
    build_egress_guard(PrivacySettings()).check([DOMAIN_TEXT], Vault())


def test_strict_policy_deny_list_applies_to_the_guard() -> None:
    guard = build_egress_guard(PrivacySettings(policy_file=STRICT))
    with pytest.raises(PrivacyBlocked) as info:
        guard.check(["what is the status of project falcon and ACME-OPS-1234?"], Vault())
    assert set(info.value.entity_types) == {"CODENAME", "INTERNAL_ID"}
    guard.check(["Acme Corporation support hours?"], Vault())  # its allow list too


def test_there_is_no_separate_guard_threshold_setting() -> None:
    with pytest.raises(ValidationError, match="guard_min_score"):
        PrivacySettings(guard_min_score=0.9)


@pytest.mark.parametrize(
    "outbound",
    [
        "Reply to @maria.gonzalez88 about the refund",
        "The applicant in application no. 34567/19 asks for costs",
        "Device ID DEV-4F7K-9932-XQ is offline",
    ],
)
def test_the_guard_runs_every_structured_detector_of_the_engine(outbound: str) -> None:
    """Handles, ID codes and case numbers the engine hides are caught at egress too (a
    planner that copies one back into a sub-query is blocked), not only the pattern set."""
    guard = build_egress_guard(PrivacySettings())
    with pytest.raises(PrivacyBlocked):
        guard.check([outbound], Vault())


@pytest.mark.parametrize(
    "outbound",
    [
        "What is the capital of France?",
        "Summarize ICD-10 code E11.9 for diabetes",
        "Why does Python 3.11 reject my dataclass field order?",
    ],
)
def test_structured_detectors_in_the_guard_pass_public_text(outbound: str) -> None:
    build_egress_guard(PrivacySettings()).check([outbound], Vault())


def test_the_guard_follows_the_engine_detector_list() -> None:
    """A detector the engine does not run is not in the guard either; patterns always are."""
    guard = build_egress_guard(PrivacySettings(detectors=["spacy"]))
    guard.check(["Reply to @maria.gonzalez88 about the refund"], Vault())
    with pytest.raises(PrivacyBlocked):
        guard.check(["card 4111 1111 1111 1111"], Vault())


# ---- the vault's own tokens stop a value; they do not join or cue one (issue 20) ----------


@pytest.fixture()
def issued() -> Vault:
    v = Vault()
    for entity_type, value in [
        ("PERSON", "May"),
        ("PERSON", "June"),
        ("USERNAME", "pedro_77"),
        ("PHONE_NUMBER", "+1 415 555 0123"),
        ("SECRET", "sk-live-9f8e7d6c5b4a"),
    ]:
        v.placeholder_for(entity_type, value)
    return v


@pytest.mark.parametrize(
    "outbound",
    [
        "worked there from [PERSON_1] 2017-[PERSON_2] 2019 as an analyst",  # no phone across
        "el usuario [USERNAME_1] tiene un plan",  # the word after a hidden handle is no handle
        "[PERSON_1]_API_KEY: [SECRET_1] [PERSON_1]_API_KEY type: string",  # the token itself
        "[PHONE_NUMBER_1] PAYMENT 11668.14 and 176087.23",  # a type name is no phone word
    ],
)
def test_issued_tokens_neither_bridge_nor_cue_a_value(issued: Vault, outbound: str) -> None:
    """Blanking an issued placeholder to spaces joined the words around it into a value
    ("2017-  2019" a phone number, "usuario  tiene" a handle): 7 of 664 PUPA requests were
    refused although every value in them was hidden."""
    build_egress_guard(PrivacySettings()).check([outbound], issued)


@pytest.mark.parametrize(
    "outbound,entity_type",
    [
        ("[PERSON_1] call +1 212 555 0199 today", "PHONE_NUMBER"),
        ("api_key: [PERSON_1]sk_live_4eC39HqLyjWDarjtT1zdp7dc", "SECRET"),  # glued to a token
        ("[PERSON_1] wrote from jane.roe@example.net", "EMAIL_ADDRESS"),
        ("token=[PERSON_1] card 4111 1111 1111 1111", "CREDIT_CARD"),
    ],
)
def test_values_next_to_issued_tokens_are_still_blocked(
    issued: Vault, outbound: str, entity_type: str
) -> None:
    with pytest.raises(PrivacyBlocked) as info:
        build_egress_guard(PrivacySettings()).check([outbound], issued)
    assert entity_type in info.value.entity_types
