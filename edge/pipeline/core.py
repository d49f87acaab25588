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

from privsplit.edge.egress import EgressHook, Envelope
from privsplit.edge.pipeline.answer import answer_locally, delegate_and_merge, merger_for, restore
from privsplit.edge.pipeline.cascade import cascade
from privsplit.edge.pipeline.events import AskResult, PipelineEvent, Tally
from privsplit.edge.pipeline.guard import blocked, guard
from privsplit.edge.pipeline.hide import hide
from privsplit.edge.pipeline.parts import PipelineParts
from privsplit.edge.pipeline.plan import Plan, plan_subqueries
from privsplit.edge.pipeline.prepare import prepare
from privsplit.edge.pipeline.progress import ProgressPump
from privsplit.edge.pipeline.summarize import Progress
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.types import GenerationParams


class Pipeline(PipelineParts):
    """One request over the pipeline's parts (``parts.PipelineParts``): ``plan_request`` runs
    the steps up to the egress hooks (a dry run), ``stream``/``ask`` the whole request."""

    # -- the request up to the egress hooks (blocking: the edge model runs here) -----------
    def plan(self, text: str, vault: Vault, *, documents: Sequence[str] = ()) -> list[str]:
        """The exact strings that would leave the device (guard applied); [] when the request
        stays local or is blocked."""
        return self.plan_request(text, vault, documents=documents).sent

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
        model = self.reading_model
        return prepare(self.redactor, model, self.settings, text, vault, documents, progress)

    def _hide(self, plan: Plan, vault: Vault) -> None:
        hide(plan, vault, settings=self.settings, model=self.split_model)

    def _plan(self, plan: Plan, vault: Vault) -> None:
        plan_subqueries(plan, vault, settings=self.settings, model=self.split_model)

    def _guard(self, plan: Plan, vault: Vault) -> None:
        guard(plan, vault, guard=self.guard, budget=self.budget, stand_ins=self.settings.stand_ins)

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
        if plan.route == "blocked":
            raise blocked(plan)
        tally = Tally(route=plan.route)
        envelope = Envelope.of(request_id, conversation_id, extra_hooks)
        parts: list[str] = []
        async for event in self._answer(text, plan, vault, envelope, tally, params, documents):
            if event.kind == "delta":
                parts.append(event.text)
            yield event
        result = AskResult.of(plan, tally, parts, started)
        yield PipelineEvent("done", route=tally.route, result=result)

    def _answer(
        self,
        text: str,
        plan: Plan,
        vault: Vault,
        envelope: Envelope,
        tally: Tally,
        params: GenerationParams | None,
        documents: Sequence[str],
    ) -> AsyncIterator[PipelineEvent]:
        """Answer locally, or: (the cascade's draft ->) egress hooks -> delegate -> merge ->
        restore."""
        if plan.route == "local":
            return answer_locally(text, plan, model=self.local, settings=self.settings)
        merger = merger_for(plan, model=self.split_model, settings=self.settings)
        delegator = self.delegator
        delegated = delegate_and_merge(
            text, plan, vault, envelope, tally, params, delegator=delegator, merger=merger
        )
        return cascade(
            text,
            plan,
            tally,
            restore(delegated, vault, plan),
            model=self.local,
            settings=self.settings,
            documents=bool(documents),
            delegator=delegator,
        )
