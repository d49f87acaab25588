"""Quasi-identifiers and the re-identification budget (privacy.quasi): extraction with offsets,
each generalization step, hiding and blocking, the spend across turns, and its persistence in
the encrypted vault."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from privsplit.edge.privacy.policy import Policy
from privsplit.edge.privacy.quasi import ReidBudget, Tables, budget_bits_for, extract, k_anonymity
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.privacy.vault_store import EncryptedVaultStore, generate_key
from privsplit.shared.errors import PrivacyBlocked, ReidBudgetExceeded
from tests.conftest import QUASI_TURNS

STORY = "A 37-year-old ballet dancer in Leeds whose daughter was born on 4 March 2019."


def test_extraction_is_typed_with_offsets() -> None:
    found = {f.kind: f for f in extract(STORY + " I'm a woman, born 12 May 1988.")}
    assert set(found) == {
        "AGE",
        "PROFESSION",
        "LOCATION",
        "FAMILY",
        "EVENT_DATE",
        "SEX",
        "BIRTH_DATE",
    }
    text = STORY + " I'm a woman, born 12 May 1988."
    for f in found.values():
        assert text[f.start : f.end] == f.value
    assert found["AGE"].value == "37" and found["LOCATION"].value == "Leeds"
    # the daughter's birth is an event, the speaker's birth date tells the age
    assert found["EVENT_DATE"].attribute.startswith("event:")
    assert found["BIRTH_DATE"].attribute == "age"


def test_nothing_is_found_in_plain_text() -> None:
    assert extract("How do I stretch my hamstrings after a run? It takes 37 minutes.") == []


def test_surprisal_follows_the_shipped_tables() -> None:
    t = Tables.load()
    (age,) = extract("I am 37 years old.")
    assert age.ladder[0].bits == pytest.approx(-math.log2(t.age_bands["30-39"] / 10))
    (leeds,) = extract("I live in Leeds.")
    assert [lv.name for lv in leeds.ladder] == ["city", "region", "country"]
    assert leeds.ladder[0].bits == pytest.approx(math.log2(t.world / 810e3))
    bits = [lv.bits for lv in leeds.ladder]
    assert bits == sorted(bits, reverse=True)  # each step reveals less
    assert budget_bits_for(50) == pytest.approx(math.log2(8e9 / 50))
    assert k_anonymity(26.0) >= 2 * 50  # the default: k >= 50 of 8e9 with a 1-bit margin


@pytest.mark.parametrize(
    ("text", "budget", "expected", "decision"),
    [
        # exact age -> 10-year band
        ("I am 37 years old.", 4.0, "I am 30-39 years old.", ("reid:AGE", "generalized:band")),
        # city -> region
        (
            "I live in Leeds.",
            11.0,
            "I live in Yorkshire and the Humber.",
            ("reid:LOCATION", "generalized:region"),
        ),
        # city -> region -> country
        (
            "I live in Leeds.",
            8.0,
            "I live in the United Kingdom.",
            ("reid:LOCATION", "generalized:country"),
        ),
        # exact date -> month/year
        (
            "My exam was on 4 March 2019.",
            5.0,
            "My exam was on March 2019.",
            ("reid:EVENT_DATE", "generalized:month"),
        ),
        # exact date -> year
        (
            "My exam was on 4 March 2019.",
            1.0,
            "My exam was on 2019.",
            ("reid:EVENT_DATE", "generalized:year"),
        ),
        # profession -> field
        (
            "I work as a ballet dancer.",
            12.0,
            "I work as a performing artist.",
            ("reid:PROFESSION", "generalized:field"),
        ),
        # relation -> general relation
        (
            "Advice for my daughter?",
            0.8,
            "Advice for my child?",
            ("reid:FAMILY", "generalized:general"),
        ),
        # stated sex -> unstated
        ("I'm a woman.", 0.5, "I'm a person.", ("reid:SEX", "generalized:unstated")),
    ],
)
def test_each_generalization_step(
    text: str, budget: float, expected: str, decision: tuple[str, str]
) -> None:
    step = ReidBudget(budget_bits=budget).apply([text], Vault())
    assert step.texts == [expected]
    assert step.decisions[decision[0]] == decision[1]
    assert step.spent_bits <= budget


def test_under_the_budget_nothing_changes() -> None:
    step = ReidBudget().apply(["I am 37 years old and I need advice on stretching."], Vault())
    assert step.texts == ["I am 37 years old and I need advice on stretching."]
    assert not step.changed and step.decisions["reid_spent_bits"] == "6.1"


def test_still_over_after_generalizing_hides_and_restores() -> None:
    vault = Vault()
    step = ReidBudget(budget_bits=5.0).apply(["I live in Leeds."], vault)
    assert step.texts == ["I live in [LOCATION_1]."]
    assert step.decisions["reid:LOCATION"] == "hidden"
    assert vault.restore(step.texts[0]) == "I live in Leeds."


def test_block_mode_raises_a_typed_error_naming_no_value() -> None:
    with pytest.raises(ReidBudgetExceeded) as caught:
        ReidBudget(budget_bits=5.0, on_over="block").apply(["I live in Leeds."], Vault())
    assert isinstance(caught.value, PrivacyBlocked)
    assert caught.value.entity_types == ("LOCATION",)
    assert "Leeds" not in str(caught.value)


TURNS = list(QUASI_TURNS)


def _converse(budget: ReidBudget, vault: Vault, turns: list[str]) -> list[str]:
    sent = []
    for turn in turns:
        step = budget.apply([turn], vault)
        vault.reveal(step.revealed)  # what the pipeline does once the batch is released
        sent.append(step.texts[0])
    return sent


def test_turn_five_is_generalized_because_of_turns_one_to_four() -> None:
    budget = ReidBudget()
    assert budget.apply([TURNS[4]], Vault()).texts == [TURNS[4]]  # alone: 13.3 bits, kept
    vault = Vault()
    sent = _converse(budget, vault, TURNS)
    assert sent[:4] == TURNS[:4]
    assert sent[4] == "Any running clubs in the United Kingdom?"
    assert sum(vault.revealed().values()) <= 26.0
    # a repeat of what was already sent costs nothing more
    assert budget.apply(["I'm 37, as I said."], vault).texts == ["I'm 37, as I said."]


def test_the_spend_survives_an_encrypted_store_round_trip(tmp_path: Path) -> None:
    store = EncryptedVaultStore(directory=tmp_path, key=generate_key())
    vault = Vault()
    _converse(ReidBudget(), vault, TURNS[:4])
    store.save("conv-1", vault)
    blob = next(tmp_path.iterdir()).read_bytes()
    assert b"age" not in blob and b"profession" not in blob  # encrypted at rest
    assert os.stat(next(tmp_path.iterdir())).st_mode & 0o777 == 0o600
    loaded = store.load("conv-1")
    assert loaded.revealed() == pytest.approx(vault.revealed())
    step = ReidBudget().apply([TURNS[4]], loaded)
    assert step.texts == ["Any running clubs in the United Kingdom?"]


def test_policy_sets_the_budget(tmp_path: Path) -> None:
    assert Policy().reid_budget_bits == 26.0 and Policy().reid_over_budget == "hide"
    path = tmp_path / "p.yaml"
    path.write_text("reid_budget_bits: 12.5\nreid_over_budget: block\n")
    policy = Policy.from_yaml(path)
    assert policy.reid_budget_bits == 12.5 and policy.reid_over_budget == "block"
    path.write_text("reid_budget_bits: -1\n")
    with pytest.raises(Exception, match="reid_budget_bits"):
        Policy.from_yaml(path)


def test_a_long_hostile_request_is_budgeted_in_bounded_time() -> None:
    """Thousands of distinct dates (each its own attribute) in a 100,000-character request."""
    import time

    months = "January February March April May June July August September October November"
    text = " ".join(
        f"on {d} {m} {y}." for y in range(2000, 2020) for m in months.split() for d in range(1, 29)
    )[:100_000]
    started = time.perf_counter()
    step = ReidBudget().apply([text], Vault())
    assert time.perf_counter() - started < 10
    assert step.spent_bits <= 26.0 and step.decisions["reid:EVENT_DATE"]


def test_generalized_text_reads_back_at_its_level() -> None:
    """What the budget writes is read as what it is (the attacker of bench/reid reads it so):
    a band is a band, not the exact age "39", and a month is a month."""
    text = "A 30-39-year-old in the United Kingdom, born on May 1988. I'm 0-9, in my 40s."
    found = [(f.kind, f.value, f.ladder[0].name) for f in extract(text)]
    assert found == [
        ("AGE", "30-39", "band"),
        ("LOCATION", "United Kingdom", "country"),
        ("BIRTH_DATE", "May 1988", "month"),
        ("AGE", "0-9", "band"),
        ("AGE", "40s", "band"),
    ]
