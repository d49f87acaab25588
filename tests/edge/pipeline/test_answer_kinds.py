"""The local answer step: the device's computed result is the answer, and an answer of the
wrong kind (no number where one is asked) is asked for once more. Pure rules, then the real
SmolLM2 model through ``answer.answer_locally``."""

from __future__ import annotations

import pytest

from privsplit.edge.pipeline.answer import answer_locally
from privsplit.edge.pipeline.answer_check import expected_kind, fits, hint, holds_value
from privsplit.edge.pipeline.plan import Plan


@pytest.mark.parametrize(
    "question,kind",
    [
        ("How many days of written notice are needed to terminate?", "number"),
        ("How much did the hospital charge?", "number"),
        ("What is the total of the three consulting invoices?", "number"),
        ("What was total net revenue for 2023, in billions?", "number"),
        ("What is the difference between the 2019 and 2018 budgets?", "number"),
        ("When was the CT scan of the spine done?", "date"),
        ("On what date did the contract start?", "date"),
        ("Which contrast agent was used?", ""),
        ("Which laws govern the agreement?", ""),
        ("What was the total revenue?", ""),  # a label: a lookup, any answer
        ("How many days of notice are needed, and which laws govern it?", ""),  # two asks
    ],
)
def test_the_kind_a_question_asks_for(question: str, kind: str) -> None:
    assert expected_kind(question) == kind


def test_answers_fit_the_kind_asked() -> None:
    assert fits("number", "90 days") and fits("number", "ninety days") and fits("number", "$1.2m")
    assert not fits("number", "The contract says written notice is needed.")
    assert fits("date", "on 03/14/2021") and fits("date", "in March") and fits("date", "2019")
    assert fits("date", "2021-03-14") and not fits("date", "after the surgery")
    assert fits("", "anything at all") and "number" in hint("number")


def test_an_answer_holds_a_value_whatever_its_separators() -> None:
    assert holds_value("The total is $229,130.", "$229,130 (the sum of $67,990 + $84,110)")
    assert holds_value("229130 dollars", "$229,130") and holds_value(
        "20.1 billion", "$20.1 billion"
    )
    assert not holds_value("[32,500 + 23,740 + 67,510]", "$123,750 (the sum of ...)")
    assert not holds_value("$1,229,130", "$229,130")


def _plan(question: str, context: str, device_answer: str = "") -> Plan:
    plan = Plan(
        route="local",
        reason="context_answers",
        outbound=[],
        question=question,
        context=context,
        entity_types=(),
        private_context=context,
    )
    plan.device_answer = device_answer
    return plan


async def _answer(question: str, plan: Plan, model, settings) -> str:
    events = [e async for e in answer_locally(question, plan, model=model, settings=settings)]
    assert events[0].kind == "outbound" and events[0].route == "local"  # nothing is sent
    return "".join(e.text for e in events if e.kind == "delta")


INVOICES = (
    "Consulting invoice number 1 of 3 was paid: $67,990. Consulting invoice number 2 of 3 "
    "was paid: $77,030. Consulting invoice number 3 of 3 was paid: $84,110."
)
TOTAL = "$229,130 (the sum of $67,990 + $77,030 + $84,110)"


class Spy:
    """The real SmolLM2 model, with the prompts it was given kept (to count the asks)."""

    def __init__(self, model) -> None:
        self.model, self.prompts = model, []

    def __getattr__(self, name):
        return getattr(self.model, name)

    def stream(self, messages, params, **kw):
        self.prompts.append(" ".join(m.content for m in messages))
        return self.model.stream(messages, params, **kw)


async def test_a_computed_result_is_the_answer_with_no_model(smol, fast_settings) -> None:
    q = "What is the total of the three consulting invoices?"
    spy = Spy(smol)
    answer = await _answer(q, _plan(q, INVOICES, TOTAL), spy, fast_settings)
    assert answer == TOTAL and spy.prompts == []


async def test_a_question_of_several_parts_keeps_the_computed_result(smol, fast_settings) -> None:
    q = "What is the total of the three consulting invoices, and who paid them?"
    spy = Spy(smol)
    answer = await _answer(q, _plan(q, INVOICES, TOTAL), spy, fast_settings)
    assert spy.prompts  # the model answers the other part
    assert holds_value(answer, TOTAL)  # the exact total is in the answer either way


async def test_an_answer_without_the_number_asked_is_asked_for_once_more(
    smol, fast_settings
) -> None:
    q = "How many days of written notice are needed to terminate the agreement?"
    context = "Termination: either party may terminate this agreement with ninety days notice."
    spy = Spy(smol)
    answer = await _answer(q, _plan(q, context), spy, fast_settings)
    assert 1 <= len(spy.prompts) <= 2
    first_fit = len(spy.prompts) == 1
    if not first_fit:  # the second ask carries the hint, and is kept only when it fits
        assert hint("number") in spy.prompts[1] and hint("number") not in spy.prompts[0]
    assert fits("number", answer) or not first_fit
