"""The rare-term detector: what it hides, what it must leave alone, and that the pipeline
sends none of what it hides."""

from __future__ import annotations

import pytest

from privsplit.edge.pipeline import Pipeline, PipelineSettings
from privsplit.edge.pipeline.hide import apply_hidden, find_terms
from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_redactor
from privsplit.edge.settings import EdgeSettings


def hidden(text: str) -> dict[str, str]:
    detector = create_detector("terms")
    return {text[s.start : s.end]: s.entity_type for s in detector.detect(text)}


@pytest.mark.parametrize(
    "text,value,entity_type",
    [
        ("I studied at vnit and then joined pacd last year.", "vnit", "TERM"),
        ("Write a sale deed for an apartment in Pune near the station.", "Pune", "LOCATION"),
        ("We compared NVDA with the index this quarter.", "NVDA", "NAME"),
        ("My customer number is C1566511282, please check.", "C1566511282", "ID"),
        ("The record 4417123 was updated.", "4417123", "ID"),
        ("Our app crashed in ActivityMainBinding yesterday.", "ActivityMainBinding", "NAME"),
        ("Send it to shippingcal.com today.", "shippingcal.com", "NAME"),
        ("Translate the name 艺传新闻小助手 into English.", "艺传新闻小助手", "NAME"),
        ("Lunch was at K.F.C. with the team.", "K.F.C", "NAME"),
        ("Rahul and I checked the apps.", "Rahul", "NAME"),
    ],
)
def test_rare_and_proper_terms_are_found(text: str, value: str, entity_type: str) -> None:
    assert hidden(text).get(value) == entity_type


def test_a_run_of_capitalized_words_is_hidden_whole() -> None:
    found = hidden("She applied to the Arab Open University-Dammam in March.")
    assert "Arab Open University-Dammam" in found
    found = hidden("Please call Rahul tomorrow.")
    assert "Rahul" in found and not any("Please" in v for v in found)
    assert hidden("We compared NVDA and WMT stock.") == {"NVDA and WMT": "NAME"}
    assert hidden("Rahul and I checked the apps.") == {"Rahul": "NAME"}


@pytest.mark.parametrize(
    "text",
    [
        "Please write a short cover letter for a marketing job.",
        "How do I read a CSV file with pandas and numpy in Python?",
        "The tablet costs 499.50 dollars and weighs 2kg; call me at 10am on the 2nd.",
        "Use time.sleep and random.randint in the main loop of my script.",
        "Explain why the employee_id column is null after the join.",
        "Hello [PERSON_1], your order [ID_2] has shipped.",
    ],
)
def test_ordinary_words_technical_terms_and_placeholders_are_kept(text: str) -> None:
    assert hidden(text) == {}


def test_non_latin_words_are_looked_up_in_their_own_language() -> None:
    assert hidden("Переведи это письмо для моего друга.") == {}
    assert "Зубриловичем" in hidden("Письмо для Зубриловичем.")


def test_find_terms_then_apply_replaces_every_mention_and_restores() -> None:
    vault = Vault()
    text = "Lunch at Copart with Belal; belal paid."
    items = find_terms(text)
    redacted, count = apply_hidden(text, items, vault)
    assert "Copart" not in redacted and "belal" not in redacted.casefold()
    assert count == 3
    assert (
        vault.restore(redacted).casefold() == text.casefold()
    )  # a variant comes back as first written


def test_redact_mode_pipeline_never_sends_a_hidden_term() -> None:
    """A dry run (no model, no cloud): the engine, then the term pass, then the guard."""
    settings = EdgeSettings.load()
    pipeline = Pipeline(
        redactor=build_redactor(settings),
        guard=EgressGuard(detectors=[]),
        cloud=None,
        settings=PipelineSettings(mode="redact"),
    )
    request = "Write why I want to work at Gotion High-Tech in Hefei; my manager is nouf from vnit."
    outbound = pipeline.plan_request(request, Vault()).outbound  # placeholder form
    assert len(outbound) == 1
    for value in ("Gotion", "Hefei", "nouf", "vnit"):
        assert value.casefold() not in outbound[0].casefold()
    assert outbound[0].startswith("Write why I want to work at [")
    off = Pipeline(
        redactor=build_redactor(settings),
        guard=EgressGuard(detectors=[]),
        cloud=None,
        settings=PipelineSettings(mode="redact", hide_terms=False),
    )
    assert "vnit" in off.plan(request, Vault())[0]
