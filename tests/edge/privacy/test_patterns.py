"""Pattern recognizers: a table of cases per entity type, plus the YAML schema."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import available_detectors, create_detector
from privsplit.edge.privacy.detectors.patterns import PatternDetector
from privsplit.shared.errors import ConfigError

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----"
FOUND = [
    ("write to ana.ruiz@example.org today", "EMAIL_ADDRESS", "ana.ruiz@example.org"),
    ("my visa 4111 1111 1111 1111 expired", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("card number 2395286334599325 is lost", "CREDIT_CARD", "2395286334599325"),
    ("SSN 078-05-1120 on file", "US_SSN", "078-05-1120"),
    ("my social security number is 123456789", "US_SSN", "123456789"),
    ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
    ("transfer to DE89370400440532013000", "IBAN_CODE", "DE89370400440532013000"),
    ("swift code DEUTDEFF500 for the wire", "SWIFT_CODE", "DEUTDEFF500"),
    ("server 192.168.10.200 is down", "IP_ADDRESS", "192.168.10.200"),
    ("v6 at 2001:db8:85a3::8a2e:370:7334 now", "IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"),
    ("nic 00:1A:2b:3C:4d:5E on eth0", "MAC_ADDRESS", "00:1A:2b:3C:4d:5E"),
    ("key AKIAIOSFODNN7EXAMPLE leaked", "API_KEY", "AKIAIOSFODNN7EXAMPLE"),
    ("token ghp_" + "a1B2" * 9 + " in CI", "API_KEY", "ghp_" + "a1B2" * 9),
    ("slack xoxb-123456789012-abcdefABCDEF here", "API_KEY", "xoxb-123456789012-abcdefABCDEF"),
    (
        "stripe sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + " ok",
        "API_KEY",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U x",
        "API_KEY",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (f"here:\n{PEM}\nthanks", "PRIVATE_KEY", PEM),
    ("password: hunter2hunter", "SECRET", "hunter2hunter"),
    (
        "eth 0x52908400098527886E0F7030069857D2E4169EE7 wallet",
        "CRYPTO_WALLET",
        "0x52908400098527886E0F7030069857D2E4169EE7",
    ),
    (
        "btc bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "CRYPTO_WALLET",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    ),
    ("call me on +41 (0)38 549 02 90 tomorrow", "PHONE_NUMBER", "+41 (0)38 549 02 90"),
    ("office (555) 123-4567", "PHONE_NUMBER", "(555) 123-4567"),
    ("Mobile: 03.93.92.16.85", "PHONE_NUMBER", "03.93.92.16.85"),
    ("date of birth: 12/03/1980", "DATE_OF_BIRTH", "12/03/1980"),
    ("MRN: 00483921 admitted", "MEDICAL_RECORD_NUMBER", "00483921"),
    ("member ID: XJH4481923 on the card", "INSURANCE_ID", "XJH4481923"),
    ("my driver license is F162823540116", "US_DRIVER_LICENSE", "F162823540116"),
    ("the meeting on 2020-06-20 14:11:22 ran late", "DATE_TIME", "2020-06-20 14:11:22"),
    ("visit https://www.example.co.uk/path?q=1.", "URL", "https://www.example.co.uk/path?q=1"),
    ("my grandmother turned 97 last week", "AGE_90_PLUS", "97"),
]
NOT_FOUND = [
    ("version 1.2.3 of the app", "IP_ADDRESS"),
    ("IBAN GB82 WEST 1234 5698 7654 33 (bad checksum)", "IBAN_CODE"),
    ("we met at 10:30 in room 4", "PHONE_NUMBER"),
    ("the year 2021 was long", "PHONE_NUMBER"),
    ("order 123456789 shipped", "US_SSN"),
    ("BUSINESS as usual", "SWIFT_CODE"),
    ("a 45-year-old man", "AGE_90_PLUS"),
    ("the variable is called MaxRetryCountLimit", "SECRET"),
]


@pytest.fixture(scope="module")
def detector() -> PatternDetector:
    return PatternDetector()


def _found(detector: PatternDetector, text: str, threshold: float = 0.5) -> set[tuple[str, str]]:
    return {
        (s.entity_type, text[s.start : s.end])
        for s in detector.detect(text)
        if s.score >= threshold
    }


@pytest.mark.parametrize("text,entity_type,value", FOUND)
def test_finds(detector: PatternDetector, text: str, entity_type: str, value: str) -> None:
    assert (entity_type, value) in _found(detector, text)


@pytest.mark.parametrize("text,entity_type", NOT_FOUND)
def test_does_not_find(detector: PatternDetector, text: str, entity_type: str) -> None:
    assert entity_type not in {t for t, _ in _found(detector, text)}


def test_invalid_card_without_context_is_not_a_card(detector: PatternDetector) -> None:
    assert "CREDIT_CARD" not in {t for t, _ in _found(detector, "ref 4111111111111112 in the log")}


def test_registry_lists_detectors_and_rejects_unknown_names() -> None:
    assert {"patterns", "address", "names", "spacy", "llm"} <= set(available_detectors())
    with pytest.raises(ConfigError, match="valid detectors: .*patterns"):
        create_detector("regexes")


def test_recognizers_from_yaml(tmp_path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(
        "version: 1\nrecognizers:\n  - name: ticket\n    entity_type: TICKET_ID\n"
        "    patterns:\n      - regex: 'INC-\\d{6}'\n        score: 0.9\n"
    )
    det = PatternDetector(files=[path], include_builtin=False)
    text = "see INC-123456 and INC-12"
    assert [(s.entity_type, text[s.start : s.end]) for s in det.detect(text)] == [
        ("TICKET_ID", "INC-123456")
    ]


@pytest.mark.parametrize(
    "body,message",
    [
        (
            "version: 1\nrecognizers:\n  - name: x\n    entity_type: X_ID\n    patterns: [{regex: 'a', score: 0.5}]\n    colour: red\n",
            "colour",
        ),
        (
            "version: 1\nrecognizers:\n  - name: x\n    entity_type: X_ID\n    patterns: [{regex: '(', score: 0.5}]\n",
            "invalid regex",
        ),
        (
            "version: 1\nrecognizers:\n  - name: x\n    entity_type: X_ID\n    validator: crc99\n    patterns: [{regex: 'a', score: 0.5}]\n",
            "unknown validator 'crc99'",
        ),
        (
            "version: 1\nrecognizers:\n  - name: x\n    entity_type: lower\n    patterns: [{regex: 'a', score: 0.5}]\n",
            "entity_type",
        ),
        ("recognizers: [\n", "not valid YAML"),
    ],
)
def test_bad_recognizer_files_are_clear_errors(tmp_path, body: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        PatternDetector(files=[path])
