"""The conductor of an edge request: prepare -> hide -> plan -> guard -> egress hooks ->
answer locally | delegate -> merge -> restore. ``stream`` reads as that sentence: one short
step each, run by the stage module named after it, each emitting its event (``events``).

Everything between prepare and restore works on placeholder text. Only the guard step decides
what may leave the device; the egress hooks (audit log, approval) are awaited after it and
before the first byte is sent. When the answer cache holds an answer to every guarded
sub-query, nothing is sent at all (route ``cache``). With the confidence cascade on
(``cascade``), a request headed for the cloud is drafted by the edge model first, and a
confident draft is the answer (route ``local``; nothing is sent, no hook runs); otherwise it
goes on to the cloud with route ``cascade-escalated``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

from privsplit.edge.egress import GUARDED, EgressHook, Envelope
from privsplit.edge.pipeline.cascade import cascade
from privsplit.edge.pipeline.events import AskResult, PipelineEvent, Tally
from privsplit.edge.pipeline.hide import hide
from privsplit.edge.pipeline.merge import Merger, compose, needs_model
from privsplit.edge.pipeline.parts import PipelineParts
from privsplit.edge.pipeline.plan import Plan, Planner
from privsplit.edge.pipeline.prepare import prepare
from privsplit.edge.pipeline.progress import ProgressPump
from privsplit.edge.pipeline.summarize import Progress
from privsplit.edge.privacy.quasi.echo import EchoRestorer
from privsplit.edge.privacy.restore import StreamRestorer
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import PrivacyBlocked
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams

log = get_logger(__name__)
Answer = AsyncIterator[PipelineEvent | str]  # events, and answer text in placeholder form


class Pipeline(PipelineParts):
    """One request over the pipeline's parts (``parts.PipelineParts``): ``plan_request`` runs
    the steps up to the egress hooks (a dry run), ``stream``/``ask`` the whole request."""

    # -- the request up to the egress hooks (blocking: the edge model runs here) -----------
    def plan(self, text: str, vault: Vault, *, documents: Sequence[str] = ()) -> list[str]:
        """The exact strings that would leave the device (guard applied); [] when the request
        stays local or is blocked."""
        return self.plan_request(text, vault, documents=documents).outbound

    def plan_request(
        self,
        text: str,
        vault: Vault,
        *,
        documents: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> Plan:
        plan = self._prepare(text, vault, documents, progress)
        for step in (self._hide, self._plan, self._guard):
            step(plan, vault)
        return plan

    def _prepare(
        self, text: str, vault: Vault, documents: Sequence[str], progress: Progress | None
    ) -> Plan:
        return prepare(self.redactor, self.local, self.settings, text, vault, documents, progress)

    def _hide(self, plan: Plan, vault: Vault) -> None:
        hide(plan, vault, settings=self.settings, model=self.local if self.splits else None)

    def _plan(self, plan: Plan, vault: Vault) -> None:
        plan.reroute(self.settings)
        planner = Planner(model=self.local, settings=self.settings) if self.splits else None
        plan.write_subqueries(planner, vault)
        if plan.route != "cloud":
            log.info("routed", route=plan.route, reason=plan.reason)

    def _guard(self, plan: Plan, vault: Vault) -> None:
        """The egress guard over exactly what would leave; then the re-identification budget."""
        if plan.route != "cloud":
            return
        try:
            self.guard.check(plan.outbound, vault)
        except PrivacyBlocked as exc:  # the planner wrote something private: drop its output
            if not plan.fall_back():
                raise
            log.warning("plan_rejected_by_guard", entity_types=list(exc.entity_types))
            self.guard.check(plan.outbound, vault)
        if self.budget is not None and plan.keep_under(self.budget, vault):  # may refuse
            self.guard.check(plan.outbound, vault)
        log.info("planned", entities=len(plan.entity_types), subqueries=len(plan.outbound))

    # -- asking ---------------------------------------------------------------------------
    async def ask(self, text: str, **options) -> AskResult:
        """``stream``'s result (the options are ``stream``'s)."""
        result = None
        async for event in self.stream(text, **options):
            result = event.result or result
        assert result is not None
        return result

    async def stream(
        self,
        text: str,
        *,
        vault: Vault | None = None,
        documents: Sequence[str] = (),
        progress: Progress | None = None,
        request_id: str = "",
        conversation_id: str = "",
        extra_hooks: Sequence[EgressHook] = (),
        params: GenerationParams | None = None,
    ) -> AsyncIterator[PipelineEvent]:
        started, vault = time.perf_counter(), vault if vault is not None else Vault()
        yield PipelineEvent.step("summarize" if documents else "redact")
        reading = ProgressPump(progress)  # chunks read, as they are read
        async for report in reading.run(self._prepare, text, vault, documents):
            yield PipelineEvent("progress", progress=report)
        plan = reading.result
        for name, step in (("hide", self._hide), ("plan", self._plan), ("guard", self._guard)):
            yield PipelineEvent.step(name)
            await asyncio.to_thread(step, plan, vault)
        tally = Tally(route=plan.route)
        if plan.route == "blocked":
            raise PrivacyBlocked(
                f"the policy blocks requests with {plan.reason}; nothing was sent",
                entity_types=(plan.reason,),
            )
        if plan.route == "local":
            answer = self._answer_locally(text, plan)
        else:
            envelope = Envelope.of(request_id, conversation_id, extra_hooks)
            answer = self._restore(
                self._delegate(text, plan, vault, envelope, tally, params), vault, plan
            )
            answer = self._cascade(text, plan, tally, answer, documents)
        parts: list[str] = []
        async for event in answer:
            if event.kind == "delta":
                parts.append(event.text)
            yield event
        yield PipelineEvent(
            "done", route=tally.route, result=AskResult.of(plan, tally, parts, started)
        )

    async def _answer_locally(self, text: str, plan: Plan) -> AsyncIterator[PipelineEvent]:
        yield PipelineEvent("outbound", route="local")
        if self.local is None:
            raise PrivacyBlocked(
                "this request must stay on the device and no edge model is configured; "
                "nothing was sent",
                entity_types=(plan.reason,),
            )
        yield PipelineEvent.step("answer_locally")
        merger = Merger(model=self.local, settings=self.settings)
        async for piece in merger.answer_locally(text, plan.private_context):
            yield PipelineEvent.delta(piece)

    def _cascade(
        self, text: str, plan: Plan, tally: Tally, escalate: Answer, documents: Sequence[str]
    ) -> AsyncIterator[PipelineEvent]:
        """The edge model answers first and keeps a confident draft (nothing is sent); else
        ``escalate``, the cloud branch, runs (``cascade``; off by default)."""
        return cascade(
            text,
            plan,
            tally,
            escalate,
            model=self.local,
            settings=self.settings,
            documents=bool(documents),
            cached=lambda: self._cached(plan),
        )

    async def _cached(self, plan: Plan) -> bool:
        """Whether the answer cache holds the answer to every guarded sub-query."""
        if self.cache is None:
            return False
        return await self.delegator.cached(plan.outbound, Tally(route=plan.route)) is not None

    async def _delegate(
        self, text: str, plan: Plan, vault: Vault, envelope: Envelope, tally: Tally, params
    ) -> Answer:
        """The answers from the cache, or egress hooks -> the cloud; then merge."""
        delegator, merger = self.delegator, self._merger(plan)
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
                async for piece in delegator.stream_one(
                    release, query, tally, vault, params=params
                ):
                    yield piece
                return
            answers = await delegator.all(release, plan.outbound, tally, vault, params=params)
        if merger is not None:
            yield PipelineEvent.step("merge")
        async for piece in compose(text, plan.private_context, answers, vault, merger=merger):
            yield piece

    def _merger(self, plan: Plan) -> Merger | None:
        """The edge model merges when the settings ask for it (``merge``), else answers join."""
        shape = {"subqueries": len(plan.outbound), "has_context": bool(plan.context)}
        if self.local is None or not self.splits or not needs_model(self.settings, **shape):
            return None
        return Merger(model=self.local, settings=self.settings)

    async def _restore(
        self, answer: Answer, vault: Vault, plan: Plan
    ) -> AsyncIterator[PipelineEvent]:
        """Placeholders become the values again, also when one is split across pieces; where
        the answer echoes a value the budget generalized to the user, the written value comes
        back (``quasi.echo``; counted in ``reid_echoes``)."""
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
