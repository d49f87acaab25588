"""A question whose parts the documents answer only in part (issue 19): the device answers its
parts from the notes (started while the cloud works), the cloud is asked the other parts alone,
with no planner call, no merge call, and the model hider reading only what may leave (the
question, never the notes).

Pure rules first (``some_parts``, ``Reading.beyond_reach``, ``Plan.unanswered``), then the whole
request on the real SmolLM2 model with a real cloud gateway process (SmolLM2) on loopback."""

from __future__ import annotations

import pytest

from privsplit.edge.egress import UNAUDITED
from privsplit.edge.pipeline import Pipeline
from privsplit.edge.pipeline.answer import merger_for
from privsplit.edge.pipeline.merge import Merger, PartsMerger
from privsplit.edge.pipeline.plan import Plan
from privsplit.edge.pipeline.retrieve import Reading, parts_of, some_parts
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_cloud_client, build_guard, build_redactor
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.types import GenerationParams, Message
from tests.conftest import PERSON_SENT

from .test_retrieval_units import PLANTED, TWO_PARTS, chunks

pytestmark = pytest.mark.slow
ASKS = "Mr. Ray had an MRI of the knee. Which agent was used, and what side effects can occur?"


def test_a_question_asks_some_of_its_parts_with_its_statements_in_front_once() -> None:
    assert some_parts(ASKS, [0]) == "Mr. Ray had an MRI of the knee. Which agent was used"
    assert some_parts(ASKS, [1]) == parts_of(ASKS)[1]
    assert some_parts(ASKS, [0, 1]) == ASKS  # every part: the question itself
    three = "Which agent was used; when was the scan done; who read it?"
    assert some_parts(three, [0, 2]) == "Which agent was used; who read it?"
    one = "Which contrast agent was used for the MRI?"
    assert some_parts(one, [0]) == one and some_parts(one, []) == one


def test_the_parts_beyond_the_documents_are_known_only_when_the_reading_proved_it() -> None:
    reading = Reading(TWO_PARTS, chunks(), ranked=True, top_k=1, widen=1, limit=12)
    assert reading.beyond_reach() == ()  # nothing read yet: nothing known
    reading.next()
    reading.record(PLANTED)  # answers the first part; no chunk speaks of side effects
    assert reading.beyond_reach() == (1,)
    texts = chunks()  # a chunk left to read could answer the second part: not beyond reach
    texts[2] += "\nSide effects of the contrast agent the patient should watch for: a rash."
    reading = Reading(TWO_PARTS, texts, ranked=True, top_k=1, widen=1, limit=12)
    reading.record(PLANTED)  # every chunk is still unread
    assert not reading.done and reading.beyond_reach() == ()
    one = Reading(PLANTED.split(" was")[0] + "?", chunks(), ranked=True, top_k=1, widen=1, limit=4)
    one.next()
    one.record(PLANTED)
    assert one.done and one.beyond_reach() == ()  # one part: the planner decides, as before
    unranked = Reading(TWO_PARTS, chunks(), ranked=False, top_k=1, widen=1, limit=12)
    unranked.next()
    unranked.record(PLANTED)
    assert unranked.beyond_reach() == ()


def _plan(question: str, answered: tuple[bool, ...]) -> Plan:
    return Plan(
        route="cloud",
        reason="default",
        outbound=[],
        question=question,
        context="MRI of the left knee with Gadavist 7.5 mL on [DATE_TIME_1].",
        entity_types=(),
        private_context="MRI of the left knee with Gadavist 7.5 mL on 03/14/2021.",
        answered_parts=answered,
    )


def test_the_plan_sends_the_parts_the_documents_leave_and_never_the_notes() -> None:
    plan = _plan("[PERSON_1] had an MRI of the knee. Which agent was used, and why?", ())
    assert plan.whole.endswith(plan.context)  # not known: the notes go with the question
    plan = _plan(ASKS.replace("Mr. Ray", "[PERSON_1]"), (True, False))
    assert plan.whole == plan.question  # the notes stay on the device
    assert plan.unanswered() == "[PERSON_1] had an MRI of the knee. what side effects can occur?"
    plan.question = "[PERSON_1] had an MRI of the knee. Which agent was used?"  # splits otherwise
    assert plan.unanswered() == "" and plan.whole == plan.question


class Counted:
    """The real model, with what each call was asked kept (system prompt and user text)."""

    def __init__(self, model) -> None:
        self.model = model
        self.calls: list[tuple[str, str]] = []

    def chat(self, messages: list[Message], params: GenerationParams, **kw) -> str:
        self.calls.append((messages[0].content, messages[-1].content))
        return self.model.chat(messages, params, **kw)

    def stream(self, messages: list[Message], params: GenerationParams, **kw):
        self.calls.append((messages[0].content, messages[-1].content))
        return self.model.stream(messages, params, **kw)

    def __getattr__(self, name: str):
        return getattr(self.model, name)


DOCUMENT = "\n\n".join(chunks(n=6, at=4))


@pytest.fixture
def pipeline(smol, fast_settings, cloud_server):
    edge = EdgeSettings.load(cloud_address=cloud_server.address, cloud_insecure=True)
    model = Counted(smol)
    settings = fast_settings.model_copy(
        update={
            "chunk_chars": 400,
            "chunk_overlap": 40,
            "max_chunks": 3,
            "retrieval_top_k": 1,
            "retrieval_widen": 1,
            "plan_can_stay_local": False,
        }
    )
    pipeline = Pipeline(
        redactor=build_redactor(edge),
        guard=build_guard(edge),
        cloud=build_cloud_client(edge),
        local=model,
        settings=settings,
        params=GenerationParams(max_tokens=16, temperature=0.0, seed=42),
        audit=UNAUDITED,
    )
    yield pipeline, model


QUESTION = (
    "Mr. Ray had an MRI of the left knee. Which contrast agent was used for the MRI of the left "
    "knee, and what side effects should the patient watch for?"
)


async def test_the_device_answers_its_part_and_the_cloud_the_other_with_no_plan_or_merge_call(
    pipeline,
) -> None:
    pipeline, model = pipeline
    vault, result, asked_before_merge = Vault(), None, []
    async for event in pipeline.stream(QUESTION, vault=vault, documents=[DOCUMENT]):
        if event.kind == "stage" and event.stage == "merge":  # the cloud has answered
            asked_before_merge = [user for system, user in model.calls if "only the part" in system]
        result = event.result or result
    await pipeline.aclose()
    assert asked_before_merge  # the device's answer was started while the cloud worked
    assert result.route == "cloud"
    (sent,) = result.outbound
    assert (
        sent
        == f"{PERSON_SENT} had an MRI of the left knee. what side effects should the patient watch for?"
    )
    assert "Gadavist" not in sent and "Ray" not in sent
    prompts = [system for system, _ in model.calls]
    assert not any("Write the request(s) to send to the expert" in p for p in prompts)  # planner
    assert not any("Expert notes" in user for _, user in model.calls)  # the merge prompt
    hider = [user for system, user in model.calls if "protect a user's privacy before" in system]
    assert hider and all(
        "Gadavist" not in user and "[PERSON_1] had an MRI" in user for user in hider
    )
    (local,) = [user for system, user in model.calls if "Answer only the part" in system]
    assert "Gadavist" in local and local.endswith(
        "Which contrast agent was used for the MRI of the left knee"
    )
    assert result.answer.strip() and result.cloud_usage.completion_tokens > 0


def test_a_merge_asked_for_is_the_model_merge_and_a_refused_split_falls_back(
    smol, fast_settings
) -> None:
    plan = _plan(ASKS.replace("Mr. Ray", "[PERSON_1]"), (True, False))
    plan.outbound, plan.by_parts = [plan.unanswered()], True
    assert isinstance(merger_for(plan, model=smol, settings=fast_settings), PartsMerger)
    model_merge = fast_settings.model_copy(update={"merge": "model"})
    merger = merger_for(plan, model=smol, settings=model_merge)
    assert type(merger) is Merger
    assert plan.fall_back() and plan.outbound == [plan.question] and not plan.by_parts
    assert type(merger_for(plan, model=smol, settings=fast_settings)) is Merger
