"""The privacy engine with the real detectors (spaCy en_core_web_sm, patterns, addresses)."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import Detector, create_detector
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.policy import Policy
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.edge.privacy.spans import Span, resolve_overlaps
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import ConfigError, PrivacyBlocked


@pytest.fixture(scope="module")
def engine() -> PrivacyEngine:
    return build_engine(PrivacySettings())


def _covered(text: str, spans: list[Span], value: str) -> bool:
    start = text.index(value)
    cov = {i for s in spans for i in range(s.start, s.end)}
    return all(i in cov for i in range(start, start + len(value)) if text[i].isalnum())


@pytest.mark.parametrize(
    "text,values",
    [
        (
            "Cendrillon Coudert lives at 333 Golfskálinn 78, Borgarnes",
            ["Cendrillon Coudert", "333 Golfskálinn 78, Borgarnes"],
        ),
        (
            "Meet me at 5100 Quadra 104\n Suite 845\n Evionnaz\n Switzerland 05377",
            ["5100 Quadra 104\n Suite 845\n Evionnaz\n Switzerland 05377"],
        ),
        (
            "Please return to Unit 5146 Box 1772\nDPO AE 91410 in case of an issue.",
            ["Unit 5146 Box 1772\nDPO AE 91410"],
        ),
        (
            "Ask the driver to stop at the corner of 11 Botley Road and Herceg Gateway.",
            ["the corner of 11 Botley Road and Herceg Gateway"],
        ),
        (
            "My name is rubija and my card 4111 1111 1111 1111 was stolen",
            ["rubija", "4111 1111 1111 1111"],
        ),
        (
            "Dear Ms. Seleznyova, your IBAN DE89370400440532013000 is verified.",
            ["Ms. Seleznyova", "DE89370400440532013000"],
        ),
        ("Mr. Pavlović flew to STAXROITH on Monday morning.", ["Mr. Pavlović", "STAXROITH"]),
        ("Ask John Smith; Smith knows.", ["John Smith", "Smith knows"[:5]]),
    ],
)
def test_detects_people_addresses_and_numbers(
    engine: PrivacyEngine, text: str, values: list[str]
) -> None:
    spans = engine.detect(text)
    for value in values:
        assert _covered(text, spans, value), value


@pytest.mark.parametrize(
    "text",
    [
        "A 45-year-old man with a BMI of 32 has taken an ACE inhibitor since 2010. Should he stop?",
        "What is the normal HbA1c range for a 60 year old woman with type 2 diabetes?",
        "Is an MRI or a CT scan better for detecting a herniated disc at L4-L5?",
        "My SSN card was lost, how do I replace it?",
    ],
)
def test_clinical_questions_without_phi_are_left_alone(engine: PrivacyEngine, text: str) -> None:
    redaction = engine.redact(text, Vault())
    assert redaction.text == text, redaction.spans


def test_policy_actions_mask_block_allow_and_lists(tmp_path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "entities:\n  US_SSN: mask\n  API_KEY: block\n  EMAIL_ADDRESS: allow\n"
        "allow_list: [Acme Support]\ndeny_list:\n  - {value: Project Falcon, entity_type: PROJECT}\n"
        "  - {regex: 'INC-\\d{6}', entity_type: TICKET}\n"
    )
    engine = PrivacyEngine(
        detectors=[create_detector("patterns"), create_detector("spacy")],
        policy=Policy.from_yaml(path),
    )
    vault = Vault()
    r = engine.redact(
        "Acme Support says project falcon (INC-123456) needs SSN 123-45-6789 from a@b.io", vault
    )
    assert r.text == "Acme Support says [PROJECT_1] ([TICKET_1]) needs SSN [US_SSN] from a@b.io"
    assert r.decisions["US_SSN"] == "mask" and r.decisions["EMAIL_ADDRESS"] == "allow"
    with pytest.raises(PrivacyBlocked) as info:
        engine.redact("use AKIAIOSFODNN7EXAMPLE", vault)
    assert info.value.entity_types == ("API_KEY",)


@pytest.mark.parametrize(
    "body,message",
    [
        ("entities:\n  PERSON: hide\n", "entities.PERSON"),
        ("entitys: {}\n", "unknown key"),
        ("deny_list:\n  - {entity_type: X_Y}\n", "exactly one of"),
        ("entities:\n  person: allow\n", "UPPER_SNAKE_CASE"),
        ("min_score: 3\n", "min_score"),
    ],
)
def test_bad_policies_are_clear_errors(tmp_path, body: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        Policy.from_yaml(path)


def test_example_policies_load() -> None:
    from pathlib import Path

    examples = sorted((Path(__file__).parents[3] / "deploy" / "policies").glob("*.yaml"))
    assert examples
    for path in examples:
        Policy.from_yaml(path)


class _Broken(Detector):
    name = "broken"

    def detect(self, text: str):
        raise RuntimeError("boom")


def test_a_failing_detector_blocks_instead_of_passing_text_through() -> None:
    engine = PrivacyEngine(detectors=[create_detector("patterns"), _Broken()])
    with pytest.raises(PrivacyBlocked, match="broken"):
        engine.redact("hello", Vault())


def test_vault_values_are_redacted_in_later_messages_without_detection(
    engine: PrivacyEngine,
) -> None:
    vault = Vault()
    first = engine.redact("Please email Zorblat Quennington about it", vault)
    assert "Zorblat" not in first.text
    later = engine.redact("did quennington answer? QUENNINGTON said yes", vault)
    assert "uennington" not in later.text.casefold() or later.text.count("[") >= 1
    assert "QUENNINGTON" not in later.text


def test_batch_equals_single(engine: PrivacyEngine) -> None:
    texts = ["Call Ana Ruiz at 555-123-4567", "nothing", "IBAN DE89370400440532013000"]
    assert engine.detect_batch(texts) == [engine.detect(t) for t in texts]


def test_overlaps_resolve_deterministically_and_keep_what_sticks_out() -> None:
    text = "Card 4111 1111 1111 1111 now"
    spans = [Span(0, 9, "ORGANIZATION", 0.6, "spacy"), Span(5, 24, "CREDIT_CARD", 0.9, "patterns")]
    a = resolve_overlaps(spans, text)
    b = resolve_overlaps(list(reversed(spans)), text)
    assert a == b
    assert [(s.entity_type, text[s.start : s.end]) for s in a] == [
        ("ORGANIZATION", "Card"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
    ]


def test_concurrent_redaction_matches_sequential(engine: PrivacyEngine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        f"Call Ana Ruiz{i} at 555-123-45{i:02d} about 12 Main Street, Springfield"
        for i in range(24)
    ]
    expected = [engine.redact(t, Vault()).text for t in texts]
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda t: engine.redact(t, Vault()).text, texts))
    assert got == expected
