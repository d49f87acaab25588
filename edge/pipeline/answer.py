"""The two ways a planned request is answered, and the restore step over either.

``answer_locally``: route ``local``; the edge model answers from the request and the private
context, and nothing is sent (no edge model: refused, nothing sent).
``delegate_and_merge``: the answers from the answer cache (route ``cache``, nothing sent), or
the egress hooks release the guarded sub-queries and the cloud answers them; then the edge
model merges them (``merge``), or they are joined, or a single answer streams through.
``restore``: placeholders become the values again, also when one is split across pieces, and
echoes of values the re-identification budget generalized get the written value back
(``quasi.echo``; counted in ``reid_echoes``).

Everything here but ``restore``'s output is placeholder text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from privsplit.edge.egress import GUARDED, Envelope
from privsplit.edge.pipeline.delegate import Delegator
from privsplit.edge.pipeline.events import PipelineEvent, Tally
from privsplit.edge.pipeline.merge import Merger, compose, needs_model
from privsplit.edge.pipeline.plan import Plan
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
    merger = Merger(model=model, settings=settings)
    async for piece in merger.answer_locally(text, plan.private_context):
        yield PipelineEvent.delta(piece)


def merger_for(
    plan: Plan, *, model: LocalModel | None, settings: PipelineSettings
) -> Merger | None:
    """The edge model merges when the settings ask for it (``merge``), else answers join."""
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
        release = await delegator.release(plan.outbound, envelope, decisions)  # may refuse
        vault.reveal(plan.revealed)  # released: the conversation's spend grows
        yield PipelineEvent("outbound", outbound=tuple(plan.outbound), route="cloud")
        yield PipelineEvent.step("delegate")
        if merger is None and len(plan.outbound) == 1:  # the cloud's answer is the answer
            query = plan.outbound[0]
            async for piece in delegator.stream_one(release, query, tally, vault, params=params):
                yield piece
            return
        answers = await delegator.all(release, plan.outbound, tally, vault, params=params)
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
