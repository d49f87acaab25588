"""The leak corpus, fast slice: 500 generated private documents (``bench/leaks``, a seed of its
own) through the plan path with no cloud. Every ground-truth value that reaches an outbound
string is counted; the target is zero. Until the detectors get there, the measured figure may
not grow (``MAX_LEAKS``, lower it whenever a change brings it down). The full 10,000-document
run is ``bench/leaks/run.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "leaks"))
import corpus  # noqa: E402

pytestmark = pytest.mark.slow
SIZE = 500
# measured on this slice (seed 1717, pipeline.mode=redact): 10 of 2,124 direct values, all
# names: lowercase first names with no other evidence in the text ("honestly joel was right"),
# a hashtag of a name, chat speakers and a capitalised name NER missed; block rate 0.8%
# (86 before the cue, handle-part, foreign-script and "X and I" name rules)
MAX_LEAKS = 10
ISSUE_TYPES = {
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "STREET_ADDRESS",
    "NATIONAL_ID",
    "IBAN_CODE",
    "SECRET",
    "DATE_OF_BIRTH",
    "USERNAME",
    "ID_CODE",
}


@pytest.fixture(scope="module")
def report() -> corpus.Report:
    records = corpus.generate(SIZE)
    assert {r["lang"] for r in records} >= {"en", "fr", "es", "de"}
    result = corpus.measure(records)
    print(f"\nleak corpus slice: {SIZE} documents, seed {corpus.SEED}, pipeline.mode=redact")
    print(result.table())
    return result


def test_the_corpus_plants_the_values_the_issue_names(report: corpus.Report) -> None:
    assert report.documents == SIZE
    assert ISSUE_TYPES <= set(report.values), ISSUE_TYPES - set(report.values)
    assert report.direct_values > 2000


def test_no_more_values_leak_than_measured(report: corpus.Report) -> None:
    assert report.direct_leaks <= MAX_LEAKS, report.table()
    # what the structured recognizers own never leaks
    for kind in ("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS", "MAC_ADDRESS"):
        assert report.leaks[kind] == 0, (kind, report.leaks[kind])


def test_the_block_rate_is_reported_and_low(report: corpus.Report) -> None:
    assert report.block_rate < 0.05  # a blocked request is safe but useless


def test_the_leak_check_finds_a_planted_value() -> None:
    """The counter itself: a value in the outbound text counts, a placeholder does not."""
    assert corpus.leaked("Maria Gonzalez", ["Write to MARIA  gonzalez today"])
    assert not corpus.leaked("Maria Gonzalez", ["Write to [PERSON_1] today"])
    assert not corpus.leaked("Ann", ["Annual report"])  # boundaries: not a substring match
