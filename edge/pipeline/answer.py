"""The two ways a planned request is answered, and the restore step over either.

``answer_locally``: route ``local``; the edge model answers from the request and the private
context, and nothing is sent (no edge model: refused, nothing sent). When the device computed
the result the question asks for (``Plan.device_answer``: a total, a difference, a conversion
into the asked scale, a quantity in the asked unit; ``arith.compute``) and the question asks
one thing, that result is the answer, with no model: a small model sometimes copies the terms
instead. Otherwise an answer of the wrong kind (``answer_check``: no number where one is asked,
no date where "when" is asked) is asked for once more with a hint, and a computed result the
answer lacks is put in front of it; such answers are given whole, not streamed.
``delegate_and_merge``: the answers from the answer cache (route ``cache``, nothing sent), or
the egress hooks release the guarded sub-queries and the cloud answers them; then the edge
model merges them (``merge``), or they are joined, or a single answer streams through; for a
question split by parts the device's answer to its own parts is started before the cloud's.
``restore``: placeholders become the values again, also when one is split across pieces, and
echoes of values the re-identification budget generalized get the written value back
(``quasi.echo``; counted in ``reid_echoes``).

Everything here but ``restore``'s output is placeholder text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from privsplit.edge.egress import GUARDED, Envelope
from privsplit.edge.pipeline.answer_check import expected_kind, fits, hint, holds_value
from privsplit.edge.pipeline.delegate import Delegator
from privsplit.edge.pipeline.events import PipelineEvent, Tally
from privsplit.edge.pipeline.merge import Merger, PartsMerger, compose, needs_model
from privsplit.edge.pipeline.plan import Plan
from privsplit.edge.pipeline.retrieve import parts_of
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.quasi.echo import EchoRestorer
from privsplit.edge.privacy.restore import StreamRestorer
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import PrivacyBlocked
from privsplit.shared.types import GenerationParams

Answer = AsyncIterator[PipelineEvent | str]  # events, and answer text in placeholder form


async def answer_locally(
    text: str, plan: Plan, *, model: LocalModel | None, settings: PipelineSettings
) -> AsyncIterator[PipelineEvent]:
    yield PipelineEvent("outbound", route="local")
    if model is None:
        raise PrivacyBlocked(
            "this request must stay on the device and no edge model is configured; "
            "nothing was sent",
            entity_types=(plan.reason,),
        )
    yield PipelineEvent.step("answer_locally")
    if plan.device_answer and len(parts_of(text)) == 1:  # computed exactly: no model
        yield PipelineEvent.delta(plan.device_answer)
        return
    merger = Merger(model=model, settings=settings)
    kind = expected_kind(text)
    if not kind and not plan.device_answer:  # nothing to check: streamed as it comes
        async for piece in merger.answer_locally(text, plan.private_context):
            yield PipelineEvent.delta(piece)
        return
    answer = await _local(merger, text, plan.private_context)
    if not fits(kind, answer):  # a number asked, none answered: asked once more
        again = await _local(merger, f"{text}\n{hint(kind)}", plan.private_context)
        answer = again if fits(kind, again) else answer
    if plan.device_answer and not holds_value(answer, plan.device_answer):
        answer = f"{plan.device_answer}\n{answer}"  # the exact result, with the other parts
    yield PipelineEvent.delta(answer)


async def _local(merger: Merger, question: str, context: str) -> str:
    return "".join([piece async for piece in merger.answer_locally(question, context)]).strip()


def merger_for(
    plan: Plan, *, model: LocalModel | None, settings: PipelineSettings
) -> Merger | None:
    """The edge model merges when the settings ask for it (``merge``), else answers join. A
    question split by parts (``Plan.by_parts``) gets the device's answer to its own parts and
    the cloud's to the others, with no merge call, unless ``merge=model``."""
    if model is not None and plan.by_parts and settings.merge != "model":
        answered = [k for k, done in enumerate(plan.answered_parts) if done]
        return PartsMerger(model=model, settings=settings, answered=answered)
    shape = {"subqueries": len(plan.outbound), "has_context": bool(plan.context)}
    if model is None or not needs_model(settings, **shape):
        return None
    return Merger(model=model, settings=settings)


async def delegate_and_merge(
    text: str,
    plan: Plan,
    vault: Vault,
    envelope: Envelope,
    tally: Tally,
    params: GenerationParams | None,
    *,
    delegator: Delegator,
    merger: Merger | None,
) -> Answer:
    answers = await delegator.cached(plan.outbound, tally, params)
    if answers is not None:  # nothing is sent
        yield PipelineEvent("outbound", route="cache")
        yield PipelineEvent.step("cache")
    else:
        decisions = {"route": tally.route, "protection": GUARDED, **plan.decisions}
        sent = plan.sent  # what leaves: the sub-queries with their stand-ins
        release = await delegator.release(sent, envelope, decisions)  # may refuse
        vault.reveal(plan.revealed)  # released: the conversation's spend grows
        yield PipelineEvent("outbound", outbound=tuple(sent), route="cloud")
        yield PipelineEvent.step("delegate")
        wire = {"params": params, "stand_ins": plan.stand_ins}
        if merger is None and len(plan.outbound) == 1:  # the cloud's answer is the answer
            query = plan.outbound[0]
            async for piece in delegator.stream_one(release, query, tally, vault, **wire):
                yield piece
            return
        # the device's answer to its own parts needs nothing from the cloud: started now
        early = (
            merger.early(text, plan.private_context) if isinstance(merger, PartsMerger) else None
        )
        try:
            answers = await delegator.all(release, plan.outbound, tally, vault, **wire)
        except BaseException:
            if early is not None:
                early.cancel()
            raise
    if merger is not None:
        yield PipelineEvent.step("merge")
    async for piece in compose(text, plan.private_context, answers, vault, merger=merger):
        yield piece


async def restore(answer: Answer, vault: Vault, plan: Plan) -> AsyncIterator[PipelineEvent]:
    restorer = EchoRestorer(StreamRestorer(vault), plan.generalized)
    async for item in answer:
        if isinstance(item, PipelineEvent):
            yield item
        elif out := restorer.feed(item):
            yield PipelineEvent.delta(out)
    if tail := restorer.flush():
        yield PipelineEvent.delta(tail)
    if plan.generalized:
        plan.decisions["reid_echoes"] = str(restorer.restored)
