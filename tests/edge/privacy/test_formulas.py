"""Chemical formulas stay readable, whichever detector took them for a name or a code; codes
and names that only look like symbols stay hidden."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors.formulas import formula
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.settings import PrivacySettings


@pytest.fixture(scope="module")
def engine():
    return build_engine(PrivacySettings(), terms=True)


def hidden(engine, text: str) -> set[str]:
    return {text[s.start : s.end] for s in engine.detect(text)}


@pytest.mark.parametrize(
    "word", ["NaCl", "HCl", "AgNO3", "H2O", "CO2", "NaOH", "H2SO4", "Ca(OH)2", "C6H12O6"]
)
def test_formulas_are_read_as_formulas(word: str) -> None:
    assert formula(word)


@pytest.mark.parametrize(
    "word",
    [
        "CNN",  # capitals only: an acronym that spells symbols
        "HCL",
        "Mg",  # one symbol
        "CN12345",  # a code: no subscript is five digits long
        "KJ528887",
        "Ben",  # "en" is no symbol
        "McDonald",
        "iPhone",
        "PAs",  # plurals of acronyms
        "CSOs",
        "FY10",  # a fiscal year
        "CoC",  # College of Charleston, a code of conduct
    ],
)
def test_acronyms_codes_and_names_are_not_formulas(word: str) -> None:
    assert not formula(word)


def test_a_chemistry_question_keeps_its_formulas(engine) -> None:
    text = (
        "Dissolve 17.5 g of AgNO3 in water, then add NaCl. Why does HCl react with NaOH "
        "to give NaCl and H2O, and what is the molarity of the NaBr solution?"
    )
    found = hidden(engine, text)
    for word in ("AgNO3", "AgNO", "NaCl", "HCl", "NaOH", "H2O", "NaBr"):
        assert word not in found
    # before, the small NER model tagged "AgNO" a person and "NaBr" an organization


def test_a_name_and_a_code_next_to_a_formula_stay_hidden(engine) -> None:
    text = "Dr. Amara Okonkwo logged sample CN12345 of NaCl for patient Wilhelmina Stroud."
    found = hidden(engine, text)
    assert {"Amara Okonkwo", "CN12345"} <= found or {"Dr. Amara Okonkwo", "CN12345"} <= found
    assert any("Wilhelmina" in f for f in found)
    assert "NaCl" not in found
