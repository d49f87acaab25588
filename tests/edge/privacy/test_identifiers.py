"""Handles, ID codes, case numbers, national IDs and phones: tables of cases per detector,
each with look-alikes that must stay (versions, standards, decorators, dates, quantities)."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector


def _found(name: str, text: str, threshold: float = 0.5) -> set[str]:
    return {
        text[s.start : s.end] for s in create_detector(name).detect(text) if s.score >= threshold
    }


HANDLES = [
    ("lol @maria.lopez you were right", "@maria.lopez"),
    ("cc @jake123 and others", "@jake123"),
    ("Replying to @The_Real_Ana", "@The_Real_Ana"),
    ("thanks u/bradley_w, fixed", "bradley_w"),  # the name; "u/" is the site's prefix
    ("login failed for user=jdoe_42 ip=10.0.0.1", "jdoe_42"),
    ("Posted by jessicarice · 12 points", "jessicarice"),
    ("# TODO(kmarquez): remove before release", "kmarquez"),
    ('DB_URL = "postgres://cindy3043:Orbit1013!@db-01.acme.internal/app"', "cindy3043"),
    ('DB_URL = "postgres://cindy3043:Orbit1013!@db-01.acme.internal/app"', "Orbit1013!"),
]
NOT_HANDLES = [
    "@property\ndef name(self):\n    return self._name",
    '@app.route("/health")\ndef health():\n    return "ok"',
    "@media (max-width: 600px) { body { margin: 0; } }",
    "meet @ 5pm or @5pm at the bar",
    "write to ana.ruiz@example.org today",
    "/** @param name the name @return nothing */",
    "the login failed twice",
    "how do I handle user_input in Flask?",
]


@pytest.mark.parametrize(("text", "value"), HANDLES)
def test_handles_found(text: str, value: str) -> None:
    assert value in _found("handles", text)


@pytest.mark.parametrize("text", NOT_HANDLES)
def test_not_handles(text: str) -> None:
    assert _found("handles", text) == set()


IDS = [
    ("Account ID: XY-ID-1234567", "XY-ID-1234567"),
    ("driver licence XX-DL-7654321 on file", "XX-DL-7654321"),
    ("device_id=SN-Y7NQ-90Y5 os=1.24", "SN-Y7NQ-90Y5"),
    ("tracking TCK-50470 shipped", "TCK-50470"),
    ("member MBR-148-38-753 since 2019", "MBR-148-38-753"),
    ("Kundennummer lautet 4471923", "4471923"),
    ("see ref. 164.9 for details", "164.9"),
    ("acct 4521 8830 12 was frozen", "4521 8830 12"),
    ("node 3f2b8c1e-9a4d-4e7b-8c21-7d5e9f0a1b2c rebooted", "3f2b8c1e-9a4d-4e7b-8c21-7d5e9f0a1b2c"),
    ("Mi DNI es 87654321X", "87654321X"),
    ("his NIR 184127645108946 was checked", "184127645108946"),
]
CASES = [
    ("The application (no. 12345/06) was lodged", "no. 12345/06"),
    ("Application no. 4567/19 against Turkey", "no. 4567/19"),
    ("the judgment in Case C-123/45 applies", "C-123/45"),
    ("CASE 12345/06 was struck out", "12345/06"),
    ("Docket No. 12-3456 (S.D.N.Y.)", "No. 12-3456"),
    ("filed as No. 1:19-cv-02345", "No. 1:19-cv-02345"),
    ("Az. 3 O 123/21 des Landgerichts", "Az. 3 O 123/21"),
    ("Beschluss 1 BvR 2345/18 vom Mai", "1 BvR 2345/18"),
    ("l'affaire pourvoi n° 21-62.730 rendue", "n° 21-62.730"),
    ("recurso n.º 1234/2019 del Supremo", "n.º 1234/2019"),
]
NOT_IDS = [
    "Python 3.11.4 on kernel 5.15.0-91-generic, build 2024.1",
    "ISO-8601, CVE-2021-44228, SHA-256, UTF-8, RFC 7231 and ISO 27001",
    "coded E11.9 and J45.909 on the bill",
    "error 0x80070005 and E11000 duplicate key",
    "the order of 150 units arrives on 2023-01-05 at 10:30",
    "BP 142/91 and HbA1c 7.2%, LDL 130 mg/dL",
    "take 20 mg twice daily for 3/4 of the month",
    "report_2023_final.pdf and data-2024-01.csv",
]


@pytest.mark.parametrize(("text", "value"), IDS + CASES)
def test_ids_found(text: str, value: str) -> None:
    assert value in _found("ids", text)


@pytest.mark.parametrize("text", NOT_IDS)
def test_not_ids(text: str) -> None:
    assert _found("ids", text) == set()


PHONES = [
    ("call me at 2025550143 tonight", "2025550143"),
    ("écris-moi au 0612345678 ce soir", "0612345678"),
    ("tel +33 6 12 34 56 78", "+33 6 12 34 56 78"),
    ("Handy: 0151 23456789", "0151 23456789"),
    ("office (202) 555-0143 ext. 12", "(202) 555-0143 ext. 12"),
]
NOT_PHONES = [
    "order 2025550143 shipped",  # a bare run with no phone word
    "Application no. 12345/06",
    "server 192.168.100.120 is down",
    "born 1980-12-03, seen 03/12/1980",
    "card 4111 1111 1111 1111",
    "PAYMENT 11668.14 then 41554.00 29885.86 left",  # amounts with cents (issue 20)
]


@pytest.mark.parametrize(("text", "value"), PHONES)
def test_phones_found(text: str, value: str) -> None:
    assert value in _found("phones", text)


@pytest.mark.parametrize("text", NOT_PHONES)
def test_not_phones(text: str) -> None:
    assert _found("phones", text) == set()
