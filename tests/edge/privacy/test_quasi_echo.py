"""Generalized values come back where the answer echoes them to the user, and nowhere else
(privacy.quasi.echo): the audit decisions say so, streams give the same text as a whole
answer, ambiguous generalizations are never restored."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.quasi import ReidBudget
from privsplit.edge.privacy.quasi.echo import EchoRestorer, Generalization, restore_echoes
from privsplit.edge.privacy.restore import StreamRestorer
from privsplit.edge.privacy.vault import Vault


def _budgeted(text: str, budget: float):
    vault = Vault()
    step = ReidBudget(budget_bits=budget).apply([text], vault)
    return step, vault


def test_the_budget_records_what_it_generalized_and_the_audit_decision() -> None:
    step, _ = _budgeted("I'm 37 years old and I work at Google.", 10.0)
    assert step.texts == ["I'm 30-39 years old and I work at a technology company."]
    assert {(g.kind, g.written, g.sent, g.before) for g in step.generalized} == {
        ("AGE", "37", "30-39", "I'm"),
        ("EMPLOYER", "Google", "a technology company", "at"),
    }
    assert step.decisions["reid_restore"] == "echoes"
    # nothing generalized: nothing to restore, no decision
    assert "reid_restore" not in ReidBudget().apply(["I'm 37."], Vault()).decisions


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # echoes of the user's own statement, in the second person: restored
        (
            "Since you work at a technology company, ask about flexible hours.",
            "Since you work at Google, ask about flexible hours.",
        ),
        ("As you're 30-39 years old, warm up well.", "As you're 37 years old, warm up well."),
        # the same words about the superset: kept (writing Google there would invent a claim)
        (
            "Many people who work at a technology company sit all day.",
            "Many people who work at a technology company sit all day.",
        ),
        ("People aged 30-39 recover more slowly.", "People aged 30-39 recover more slowly."),
        # addressed, but another frame ("for", not "at"): kept
        (
            "You could apply for a technology company job.",
            "You could apply for a technology company job.",
        ),
    ],
)
def test_only_echoes_to_the_user_are_restored(answer: str, expected: str) -> None:
    step, _ = _budgeted("I'm 37 years old and I work at Google.", 10.0)
    restored, count = restore_echoes(answer, step.generalized)
    assert restored == expected
    assert count == (answer != expected)


def test_an_as_phrase_echo_of_a_denomination() -> None:
    step, _ = _budgeted("As a practising Catholic, I fast on Fridays.", 2.0)
    assert step.texts == ["As a practising Christian, I fast on Fridays."]
    restored, n = restore_echoes("As a practising Christian, you may fast.", step.generalized)
    assert (restored, n) == ("As a practising Catholic, you may fast.", 1)


def test_ambiguous_generalizations_are_never_restored() -> None:
    two = [
        Generalization("LOCATION", "Leeds", "Yorkshire and the Humber", "in"),
        Generalization("LOCATION", "York", "Yorkshire and the Humber", "in"),
    ]
    answer = "As you live in Yorkshire and the Humber, try the moors."
    assert restore_echoes(answer, two) == (answer, 0)
    # the generalized text is also a value the user wrote themself
    also = [
        Generalization("LOCATION", "Leeds", "the United Kingdom", "in"),
        Generalization("LOCATION", "the United Kingdom", "Europe", "in"),
    ]
    answer = "Since you live in the United Kingdom, join parkrun."
    assert restore_echoes(answer, also)[1] == 0


def test_a_stream_restores_like_the_whole_answer_for_any_chunking() -> None:
    step, vault = _budgeted("I'm 37 years old and I work at Google. My email is x.", 10.0)
    placeholder = vault.placeholder_for("EMAIL_ADDRESS", "me@example.org")
    answer = (
        f"Since you work at a technology company, write to {placeholder}.\n"
        "As you're 30-39 years old, rest. People aged 30-39 sleep less"
    )
    whole = restore_echoes(vault.restore(answer), step.generalized)[0]
    assert "Google" in whole and "me@example.org" in whole and "People aged 30-39" in whole
    for size in (1, 3, 7, 50):
        restorer = EchoRestorer(StreamRestorer(vault), step.generalized)
        parts = [restorer.feed(answer[i : i + size]) for i in range(0, len(answer), size)]
        assert "".join([*parts, restorer.flush()]) == whole
        assert restorer.restored == 2


def test_without_generalizations_the_stream_is_not_held_back() -> None:
    restorer = EchoRestorer(StreamRestorer(Vault()), ())
    assert restorer.feed("Hello, no sentence end yet") == "Hello, no sentence end yet"
