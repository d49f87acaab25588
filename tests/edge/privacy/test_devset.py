"""The seeded multi-domain development set (bench/pii/devset): exact spans, seeded, varied;
and the structured-identifier detectors on it (a regression floor, not a tuning target)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("faker")
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "pii"))
from devset import generate  # noqa: E402

from privsplit.edge.privacy.detectors import create_detector  # noqa: E402


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return generate(seed=7, per_domain=8, per_language=10)


def test_spans_are_exact_and_the_set_is_seeded(records: list[dict]) -> None:
    assert generate(seed=7, per_domain=8, per_language=10) == records
    assert generate(seed=8, per_domain=8, per_language=10) != records
    for r in records:
        last = 0
        for s in r["spans"]:
            value = r["text"][s["start"] : s["end"]]
            assert value and value == value.strip() and s["start"] >= last
            last = s["end"]


def test_covers_domains_languages_and_pii_free_texts(records: list[dict]) -> None:
    domains = Counter(r["domain"] for r in records)
    langs = Counter(r["lang"] for r in records)
    assert {"social", "support", "mail", "legal", "clinical", "code", "negative"} <= set(domains)
    assert {"en", "en-xscript", "fr", "es", "de"} <= set(langs)
    assert sum(not r["spans"] for r in records) >= 10
    types = {s["type"] for r in records for s in r["spans"]}
    assert {"USERNAME", "ID_CODE", "CASE_NUMBER", "PERSON", "PHONE_NUMBER"} <= types
    # no two documents are the same text: sentences are drawn, not one template per domain
    assert len({r["text"] for r in records}) == len(records)


def test_structured_detectors_find_handles_ids_and_case_numbers(records: list[dict]) -> None:
    detectors = [create_detector(n) for n in ("handles", "ids", "phones")]
    hit = total = 0
    for r in records:
        covered = {
            i
            for d in detectors
            for s in d.detect(r["text"])
            if s.score >= 0.5
            for i in range(s.start, s.end)
        }
        for g in r["spans"]:
            if g["type"] in ("USERNAME", "ID_CODE", "CASE_NUMBER"):
                total += 1
                text = r["text"]
                hit += all(i in covered for i in range(g["start"], g["end"]) if text[i].isalnum())
    assert total >= 40 and hit / total >= 0.9
