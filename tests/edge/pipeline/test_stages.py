"""Each stage alone on the real small model (SmolLM2 via llama.cpp): shapes, bounds and the
privacy invariants, not the wording of a 135M model."""

from __future__ import annotations

import asyncio

import pytest

from privsplit.edge.pipeline import Pipeline
from privsplit.edge.pipeline.delegate import CloudAnswer
from privsplit.edge.pipeline.hide import Hider, _pattern
from privsplit.edge.pipeline.merge import Merger
from privsplit.edge.pipeline.plan import Planner
from privsplit.edge.pipeline.summarize import Summarizer
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_guard, build_redactor
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ConfigError, InvalidRequest, PrivacyBlocked
from privsplit.shared.types import Usage
from tests.conftest import PERSON_SENT

pytestmark = pytest.mark.slow

RECORD = (
    "Visit notes. The patient reports mild fatigue. " * 30
    + "CT of the spine was done with the contrast agent Omnipaque 240. "
    + "Blood pressure was normal at every visit. " * 30
)
QUESTION = "Which contrast agent was used for the CT of the spine?"


def test_summarize_reads_at_most_max_chunks_and_refuses_huge_documents(smol, fast_settings) -> None:
    steps: list[tuple[int, int]] = []
    summarizer = Summarizer(model=smol, settings=fast_settings)
    context = summarizer.summarize(
        QUESTION, [RECORD], progress=lambda s, d, t: steps.append((d, t))
    )
    assert isinstance(context, str)
    assert steps[-1] == (2, 2)  # 4+ chunks in the record, 2 read (max_chunks)
    assert summarizer.summarize(QUESTION, []) == ""
    tight = fast_settings.model_copy(update={"max_document_chars": 100})
    with pytest.raises(InvalidRequest, match="document 0 has"):
        Summarizer(model=smol, settings=tight).summarize(QUESTION, [RECORD])


def test_planner_returns_bounded_subqueries(smol, fast_settings) -> None:
    question, context = (
        "Explain to [PERSON_1] what a contrast agent is.",
        "CT of the spine with Omnipaque 240.",
    )
    # may stay local: [] (the context answers it) or bounded sub-queries
    subqueries = Planner(model=smol, settings=fast_settings).plan(question, context)
    assert len(subqueries) <= fast_settings.max_subqueries
    assert all(isinstance(q, str) and q.strip() for q in subqueries)
    # must delegate: never empty
    delegate = fast_settings.model_copy(update={"plan_can_stay_local": False})
    subqueries = Planner(model=smol, settings=delegate).plan(question, context)
    assert 1 <= len(subqueries) <= fast_settings.max_subqueries
    # without a context there is nothing to answer from: never empty either
    assert Planner(model=smol, settings=fast_settings).plan(question, "")


def test_planner_skips_the_model_for_inputs_longer_than_its_budget(smol, fast_settings) -> None:
    s = fast_settings.model_copy(update={"plan_max_input_chars": 200})
    question = "Summarize this for [PERSON_1]: " + "lorem ipsum " * 40
    assert Planner(model=smol, settings=s).plan(question, "") == [question]


def test_hider_only_lists_details_that_occur_in_the_text(smol, fast_settings) -> None:
    text = "I work at Napco National Company in Dammam and study at Arab Open University."
    for item in Hider(model=smol, settings=fast_settings).find(text):
        assert _pattern(item.value).search(text)


async def test_merge_and_local_answer_stream_text(smol, fast_settings) -> None:
    merger = Merger(model=smol, settings=fast_settings)
    answers = [CloudAnswer("What is Omnipaque?", "An iodinated contrast agent.", Usage(5, 5))]
    pieces = [p async for p in merger.merge(QUESTION, "CT spine with Omnipaque 240.", answers)]
    assert "".join(pieces).strip()
    local = [p async for p in merger.answer_locally("Say hi to [PERSON_1].", "")]
    assert "".join(local).strip()


@pytest.fixture
def pipeline(smol, fast_settings) -> Pipeline:
    edge = EdgeSettings.load()
    return Pipeline(
        redactor=build_redactor(edge),
        guard=build_guard(edge),
        cloud=None,
        local=smol,
        settings=fast_settings,
    )


PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org")
PROMPT = "Write a note to Maria Gonzalez (maria.gonzalez@example.org) about the CT results."


@pytest.mark.parametrize("decompose,documents", [("never", ()), ("always", (RECORD,))])
def test_plan_never_lets_a_hidden_value_out(pipeline, decompose: str, documents: tuple) -> None:
    pipeline.settings = pipeline.settings.model_copy(
        update={"decompose": decompose, "plan_can_stay_local": False}
    )
    vault = Vault()
    plan = pipeline.plan_request(PROMPT, vault, documents=documents)
    assert plan.route == "cloud" and plan.outbound
    sent = "\n".join(plan.outbound).casefold()
    for value in PRIVATE:
        assert value.casefold() not in sent
    for _, value in vault.values():  # everything hidden (detectors and the model) stays hidden
        assert value.casefold() not in sent
    if not documents:
        assert plan.sent == pipeline.plan(PROMPT, Vault())  # deterministic


def test_policy_routes_stay_on_the_device(pipeline) -> None:
    pipeline.settings = pipeline.settings.model_copy(
        update={"local_only_entities": ["EMAIL_ADDRESS"]}
    )
    plan = pipeline.plan_request(PROMPT, Vault())
    assert (plan.route, plan.outbound) == ("local", [])
    result = asyncio.run(pipeline.ask(PROMPT))  # cloud=None: any attempt to send would raise
    assert result.route == "local" and result.outbound == [] and result.answer.strip()
    assert result.cloud_usage == Usage()

    pipeline.settings = pipeline.settings.model_copy(update={"blocked_entities": ["PERSON"]})
    assert pipeline.plan_request(PROMPT, Vault()).route == "blocked"
    with pytest.raises(PrivacyBlocked, match="PERSON") as info:
        asyncio.run(pipeline.ask(PROMPT))
    assert "Maria" not in info.value.message


def test_bad_requests_are_clear_errors(pipeline) -> None:
    with pytest.raises(InvalidRequest, match="empty"):
        pipeline.plan("   ", Vault())
    with pytest.raises(InvalidRequest, match="list of strings"):
        pipeline.plan("q", Vault(), documents="one string")
    with pytest.raises(ConfigError, match="no cloud client"):
        asyncio.run(pipeline.ask("Tell me about contrast agents."))


def test_redact_mode_needs_no_local_model_but_refuses_documents(pipeline) -> None:
    pipeline.local = None
    assert pipeline.plan(PROMPT, Vault())[0].startswith(f"Write a note to {PERSON_SENT}")
    with pytest.raises(InvalidRequest, match="documents need the edge model"):
        pipeline.plan(PROMPT, Vault(), documents=[RECORD])
