"""The quasi-identifiers of privacy.quasi.people: employer, street, nationality, ethnicity,
religion, medical conditions and education. Each is found only when said about the writer or
a relative (with the subject in its attribute), in en and with fr/es/de cue words, and each
generalization step of its ladder is taken by the budget."""

from __future__ import annotations

import math

import pytest

from privsplit.edge.privacy.quasi import ReidBudget, Tables, extract
from privsplit.edge.privacy.vault import Vault


def _one(text: str, kind: str):
    found = [f for f in extract(text) if f.kind == kind]
    assert len(found) == 1, (text, found)
    f = found[0]
    assert text[f.start : f.end] == f.value  # offsets into the text
    return f


@pytest.mark.parametrize(
    ("text", "kind", "value", "attribute", "levels"),
    [
        ("I work at Google.", "EMPLOYER", "Google", "employer", ["exact", "sector"]),
        ("My husband works for the NHS.", "EMPLOYER", "the NHS", "employer:husband", None),
        (
            "I work at Leeds General Infirmary.",
            "EMPLOYER",
            "Leeds General Infirmary",
            None,
            ["exact"],
        ),
        ("Je travaille chez Airbus.", "EMPLOYER", "Airbus", "employer", ["exact"]),
        ("Trabajo para Santander.", "EMPLOYER", "Santander", "employer", ["exact"]),
        ("Ich arbeite bei Siemens.", "EMPLOYER", "Siemens", "employer", ["exact"]),
        ("I live at 12 Baker Street in London.", "STREET", "12 Baker Street", "street", None),
        ("J'habite rue de la Paix.", "STREET", "rue de la Paix", "street", ["street", "city"]),
        ("Vivo en la calle de Alcalá 45.", "STREET", "calle de Alcalá 45", "street", None),
        ("Ich wohne in der Goethestraße 12.", "STREET", "Goethestraße 12", "street", ["street"]),
        ("I'm French, and I cook.", "NATIONALITY", "French", "nationality", ["exact", "continent"]),
        ("Soy mexicana.", "NATIONALITY", "mexicana", "nationality", ["exact"]),
        ("I'm of Korean descent.", "ETHNICITY", "Korean", "ethnicity", None),
        ("I'm Māori, by the way.", "ETHNICITY", "Māori", "ethnicity", ["exact"]),
        (
            "As a devout Catholic, I fast.",
            "RELIGION",
            "Catholic",
            "religion",
            ["exact", "religion"],
        ),
        ("My wife is Jewish.", "RELIGION", "Jewish", "religion:wife", ["exact"]),
        ("Ich bin Muslimin.", "RELIGION", "Muslimin", "religion", ["exact"]),
        ("I have cystic fibrosis.", "MEDICAL_CONDITION", "cystic fibrosis", "condition", None),
        ("My son was diagnosed with ALS.", "MEDICAL_CONDITION", "ALS", "condition:son", None),
        ("Tengo esclerosis múltiple.", "MEDICAL_CONDITION", "esclerosis múltiple", None, ["exact"]),
        ("J'ai la mucoviscidose.", "MEDICAL_CONDITION", "mucoviscidose", "condition", None),
        ("I have a PhD in astrophysics.", "EDUCATION", "a PhD in astrophysics", "education", None),
        (
            "I studied at the University of Leeds.",
            "EDUCATION",
            "the University of Leeds",
            "school",
            None,
        ),
        ("My daughter studies at MIT.", "EDUCATION", "MIT", "school:daughter", None),
        ("Ich habe an der TU München studiert.", "EDUCATION", "TU München", "school", ["exact"]),
    ],
)
def test_each_attribute_is_found_typed_and_linked(text, kind, value, attribute, levels) -> None:
    f = _one(text, kind)
    assert f.value == value
    if attribute is not None:
        assert f.attribute == attribute
    if levels is not None:
        assert [lv.name for lv in f.ladder] == levels
    bits = [lv.bits for lv in f.ladder]
    assert bits == sorted(bits, reverse=True)  # each step reveals less


@pytest.mark.parametrize(
    "text",
    [
        "What is cystic fibrosis?",  # a question, not a diagnosis
        "Is Google hiring engineers?",
        "People who work at Amazon say it is busy.",  # someone else
        "How do I get to Baker Street station?",  # a place, not a home
        "A glass of white, please.",
        "I have an SLA with my provider.",  # not the acronym of a disease
        "Is the company American?",
        "I went to Oxford for a holiday.",  # the city, not the university
        "My trip to Harvard Square was fun.",
        "als ich nach Hause kam",  # German "als" is not ALS
    ],
)
def test_nothing_is_counted_when_not_said_about_the_writer(text: str) -> None:
    assert [f.kind for f in extract(text) if f.kind not in ("LOCATION", "FAMILY")] == []


def test_surprisal_comes_from_the_shipped_tables() -> None:
    t = Tables.load()
    google = _one("I work at Google.", "EMPLOYER")
    assert google.ladder[0].bits == pytest.approx(math.log2(t.world / 1.8e5))
    assert google.ladder[1].bits == pytest.approx(-math.log2(t.more.sectors["technology"][0]))
    unknown = _one("I work at Leeds General Infirmary.", "EMPLOYER")
    assert unknown.ladder[0].bits == pytest.approx(math.log2(t.world / 1000))
    cf = _one("I have cystic fibrosis.", "MEDICAL_CONDITION")
    assert cf.ladder[0].bits == pytest.approx(math.log2(t.world / 1.05e5))
    # a street within its city is the street's share of the city; the city pays for itself
    street = _one("I live on Baker Street in London.", "STREET")
    assert street.ladder[0].bits == pytest.approx(math.log2(8.9e6 / 500))
    numbered = _one("I live at 12 Baker Street in London.", "STREET")
    assert numbered.ladder[0].bits == pytest.approx(math.log2(8.9e6 / 2.5))
    alone = _one("I live on Baker Street.", "STREET")  # shared by street_name_towns towns
    assert alone.ladder[0].bits == pytest.approx(math.log2(t.world / (500 * 30)))


@pytest.mark.parametrize(
    ("text", "budget", "expected", "decision"),
    [
        # employer -> sector
        ("I work at Google.", 8.0, "I work at a technology company.", "generalized:sector"),
        # street -> city (the city stays) -> region -> country (the city's own ladder)
        (
            "I live on Baker Street in London.",
            12.0,
            "I live on a street in London.",
            "generalized:city",
        ),
        (
            "I live on Baker Street in London.",
            7.0,
            "I live on a street in the United Kingdom.",
            "generalized:city",
        ),
        # nationality -> continent
        ("I'm French, and I cook.", 4.0, "I'm European, and I cook.", "generalized:continent"),
        # denomination -> religion -> hidden
        (
            "As a devout Catholic, I fast.",
            2.0,
            "As a devout Christian, I fast.",
            "generalized:religion",
        ),
        ("As a devout Catholic, I fast.", 1.0, "As a devout [RELIGION_1], I fast.", "hidden"),
        # ethnicity -> hidden
        ("I'm Māori, by the way.", 10.0, "I'm [ETHNICITY_1], by the way.", "hidden"),
        # condition -> category
        ("I have cystic fibrosis.", 10.0, "I have a genetic condition.", "generalized:category"),
        # degree with subject -> degree -> a university degree
        ("I have a PhD in astrophysics.", 10.0, "I have a PhD.", "generalized:degree"),
        (
            "I have a PhD in astrophysics.",
            5.0,
            "I have a university degree.",
            "generalized:university",
        ),
        # institution -> a university
        ("I'm a Harvard graduate.", 5.0, "I'm a university graduate.", "generalized:university"),
        # a finding cued in another language goes from exact to hidden
        ("Je travaille chez Airbus.", 10.0, "Je travaille chez [EMPLOYER_1].", "hidden"),
    ],
)
def test_each_ladder_step(text: str, budget: float, expected: str, decision: str) -> None:
    vault = Vault()
    step = ReidBudget(budget_bits=budget).apply([text], vault)
    assert step.texts == [expected]
    assert decision in {v for k, v in step.decisions.items() if k.startswith("reid:")}
    assert step.spent_bits <= budget
    assert (
        vault.restore(step.texts[0]).replace("Christian", "Catholic") == text
        or "[" not in (step.texts[0])
    )


def test_generalized_text_reads_back_at_its_level() -> None:
    """What the ladders write is read as what it is, never as something more specific."""
    text = (
        "I work at a technology company. I live on a street in the United Kingdom. I'm European."
        " I have a genetic condition. I have a university degree. I'm a university graduate."
    )
    found = [(f.kind, f.ladder[0].name) for f in extract(text)]
    assert found == [
        ("LOCATION", "country"),
        ("NATIONALITY", "continent"),
        ("EDUCATION", "degree"),
    ]


def test_facts_about_two_people_are_accounted_apart() -> None:
    step = ReidBudget().apply(["I work at Google and my wife works at Google too."], Vault())
    assert {a for a in step.revealed if a.startswith("employer")} == {
        "employer",
        "employer:wife",
    }


def test_many_values_of_one_attribute_are_budgeted_in_bounded_time() -> None:
    """A hostile 100,000-character request: thousands of distinct employers and streets (one
    attribute each, all tied at the same bits) and the same facts over and over."""
    import time

    unit = (
        "I work at Acme Widgets Number{i}. I live on Elm{i} Street in London. As a devout "
        "Catholic, I have cystic fibrosis and a PhD in physics from Oxford. "
    )
    text = "".join(unit.format(i=i) for i in range(2000))[:100_000]
    started = time.perf_counter()
    step = ReidBudget().apply([text], Vault())
    # ~2-8 s on 2 loaded cores; it took over 100 s while every step re-read every item
    assert time.perf_counter() - started < 20
    assert step.spent_bits <= 26.0
    assert step.decisions["reid:EMPLOYER"] == "hidden" and "Acme" not in step.texts[0]
