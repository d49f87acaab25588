"""bench/longdocs scoring: numbers are read as numbers (value, precision, scale), text as whole
words, and the seeded subset keeps every question type in proportion. No model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

LONGDOCS = Path(__file__).resolve().parents[2] / "bench" / "longdocs"
sys.path.insert(0, str(LONGDOCS))

from score import correct  # noqa: E402

BILLIONS = "What was total net revenue for the year ended December 31, 2023, in billions?"


@pytest.mark.parametrize(
    "answer,gold,question,ok",
    [
        ("$20.1 billion", ["20.1 billion"], "", True),
        ("$20.092 billion", ["20.1 billion"], "", True),  # rounds to the gold's precision
        ("20,092 million", ["20.1 billion"], "", True),  # same value in another scale
        ("20.092", ["20.1 billion"], "", False),  # a bare number does not say billions
        ("20.1", ["20.1 billion"], BILLIONS, True),  # ... unless the question asks for them
        ("20.1 million", ["20.1 billion"], BILLIONS, False),  # the wrong scale stays wrong
        ("$20.2 billion", ["20.1 billion"], "", False),
        ("15 days", ["15"], "", True),
        ("150 days", ["15"], "", False),  # a number is a whole token, not a substring
        ("1.5 days", ["15"], "", False),
        ("[7.5 million]", ["7.5"], "", False),  # 7.5 million is not 7.5
        ("7.5 mmol/L", ["7.5"], "", True),
        ("24 minutes + 69 minutes = 93 minutes", ["93"], "", True),
        ("[24 minutes, 24 minutes, 69 minutes]", ["93"], "", False),
        ("$118,220", ["118,220"], "", True),
        ("118 and 220", ["118,220"], "", False),  # the delegation rule's split would pass it
        ("The surgeon started the drug [Jordan Johnson].", ["Metoprolol"], "", False),
        ("Dotarem 15 mL.", ["Dotarem 15 mL"], "", True),
        ("FinanceBench, LongHealth and QASPER", ["FinanceBench, LongHealth, and QASPER"], "", True),
        ("FinanceBench and QASPER", ["FinanceBench, LongHealth, and QASPER"], "", False),
        ("a full disk", ["full disk"], "", True),
        ("a fuller disk", ["full disk"], "", False),
    ],
)
def test_answers_are_scored_as_numbers_and_whole_words(answer, gold, question, ok) -> None:
    assert correct(answer, gold, question) is ok


def test_the_seeded_subset_keeps_every_type_in_proportion_and_all_real_tasks() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("longdocs_run", LONGDOCS / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    parse_args, select = run.parse_args, run.select
    full = select(parse_args(["--real"]))
    a = select(parse_args(["--real", "--sample", "24"]))
    assert [t["id"] for t in a] == [
        t["id"] for t in select(parse_args(["--real", "--sample", "24"]))
    ]
    assert {t["type"] for t in a} == {t["type"] for t in full}
    assert sum(t["kind"] == "real" for t in a) == 4
    generated = [t for t in a if t["kind"] != "real"]
    assert 22 <= len(generated) <= 26
    lookups = sum(t["type"] == "lookup" for t in generated) / len(generated)
    assert abs(lookups - sum(t["type"] == "lookup" for t in full[:-4]) / 60) < 0.1
