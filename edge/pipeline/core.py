"""The edge request pipeline: redact -> summarize -> plan -> guard -> cache -> hooks -> delegate
-> merge -> restore.

Everything between redact and restore works on placeholder text. Only ``plan_request`` decides
what leaves the device, and it runs the egress guard over exactly those strings; the egress
hooks (audit log, approval) are awaited after it and before the first byte is sent. When the
answer cache (``privsplit.edge.cache``) holds an answer to every guarded sub-query, nothing is
sent at all (route ``cache``); the cloud's answers to a request are stored after it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from privsplit.edge.cache import AnswerCache, CacheScope
from privsplit.edge.delegate import CloudClient
from privsplit.edge.egress import GUARDED, UNPROTECTED, EgressGate, EgressHook
from privsplit.edge.pipeline.delegate import CloudAnswer, Delegator
from privsplit.edge.pipeline.hide import Hider, apply_hidden, find_terms, sweep_known
from privsplit.edge.pipeline.merge import Merger, needs_model
from privsplit.edge.pipeline.plan import Planner, Route, decide_route, with_context
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.redaction import BufferedRestorer, Redaction, RestorerLike
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.pipeline.summarize import Progress, Summarizer
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.quasi import ReidBudget
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import ConfigError, InvalidRequest, PrivacyBlocked
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams, Usage

log = get_logger(__name__)


class RedactorLike(Protocol):
    def redact(self, text: str, vault: Vault) -> Redaction: ...


@dataclass
class AskResult:
    answer: str
    route: str
    outbound: list[str]
    cloud_usage: Usage = field(default_factory=Usage)
    seconds_total: float = 0.0
    seconds_edge: float = 0.0  # total minus the time spent waiting for the cloud
    local_context: str = ""  # the documents condensed on the device (placeholder form; never sent)
    model_output: str = ""  # pipeline.model_output_failure that applied (closed | best_effort)
    cache: str = ""  # the answer cache: "hit" (route=cache), "miss", or "" (not consulted)
    # the re-identification budget: spent and budget bits, and "reid:KIND" -> what it did
    reid: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    """What a request turns into. ``question``/``context`` are redacted; the raw condensed
    context stays in ``private_context`` (on the device only, never logged)."""

    route: Route
    reason: str
    outbound: list[str]
    question: str
    context: str
    entity_types: tuple[str, ...]
    private_context: str = field(default="", repr=False)
    decisions: dict[str, str] = field(default_factory=dict)  # entity type -> policy action
    revealed: dict[str, float] = field(default_factory=dict)  # the re-identification budget's


@dataclass(frozen=True)
class PipelineEvent:
    """One step of a streamed request: ``stage`` (name), ``outbound`` (what was sent),
    ``delta`` (a piece of the restored answer) and finally ``done`` (the whole result)."""

    kind: Literal["stage", "outbound", "delta", "done"]
    stage: str = ""
    text: str = ""
    outbound: tuple[str, ...] = ()
    route: str = ""
    result: AskResult | None = None


class Pipeline:
    def __init__(
        self,
        *,
        redactor: RedactorLike,
        guard: EgressGuard,
        cloud: CloudClient | None,
        local: LocalModel | None = None,
        settings: PipelineSettings | None = None,
        params: GenerationParams | None = None,
        cloud_model: str = "",
        audit: EgressHook | None = None,
        egress_hooks: Sequence[EgressHook] = (),
        restorer_factory: Callable[[Vault], RestorerLike] = BufferedRestorer,
        cache: AnswerCache | None = None,
        budget: ReidBudget | None = None,
    ) -> None:
        self.redactor = redactor
        self.guard = guard
        self.cloud = cloud
        self.local = local
        self.settings = settings or PipelineSettings()
        self.params = params or GenerationParams()
        self.cloud_model = cloud_model
        # with a cloud client there is a gate, and it needs the audit hook (or UNAUDITED)
        self.gate = None if cloud is None else EgressGate(audit=audit, hooks=egress_hooks)
        self.restorer_factory = restorer_factory
        self.cache = cache if cloud is not None else None
        self.budget = budget

    @property
    def delegator(self) -> Delegator:
        if self.cloud is None or self.gate is None:
            raise ConfigError("this pipeline has no cloud client (built for dry runs only)")
        return Delegator(
            cloud=self.cloud,
            gate=self.gate,
            params=self.params,
            model=self.cloud_model,
            max_parallel=self.settings.max_parallel,
            prompt_version=self.settings.prompt_version,
        )

    @property
    def cache_scope(self) -> CacheScope:
        """What besides a sub-query changes the cloud's answer (part of every cache key)."""
        assert self.cloud is not None
        system, _ = load_prompt("cloud_system", self.settings.prompt_version).render(query="")
        return CacheScope(
            destination=self.cloud.address,
            model=self.cloud_model,
            prompt=f"{self.settings.prompt_version}:{system.content}",
            params=self.params,
        )

    @property
    def splits(self) -> bool:
        return self.settings.mode == "split" and self.local is not None

    # -- planning (blocking: the local model runs here) -------------------------------------
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
        redaction, private_context, context = self._prepare(text, vault, documents, progress)
        return self._plan(redaction, private_context, context, vault)

    def _prepare(
        self, text: str, vault: Vault, documents: Sequence[str], progress: Progress | None
    ) -> tuple[Redaction, str, Redaction]:
        if not isinstance(text, str) or not text.strip():
            raise InvalidRequest("the request text is empty")
        if isinstance(documents, str):
            raise InvalidRequest("documents must be a list of strings")
        redaction = self.redactor.redact(text, vault)
        private_context = ""
        if documents:
            if self.local is None:
                raise InvalidRequest("documents need the edge model (pipeline.mode=split)")
            private_context = Summarizer(model=self.local, settings=self.settings).summarize(
                text, documents, progress=progress
            )
        return redaction, private_context, self.redactor.redact(private_context, vault)

    def _plan(
        self, redaction: Redaction, private_context: str, context: Redaction, vault: Vault
    ) -> Plan:
        question, context_text = redaction.text, context.text
        types = {s.entity_type for s in [*redaction.spans, *context.spans]}
        # which failure mode applied to unreadable model answers: recorded with the batch
        decisions = {
            **redaction.decisions,
            **context.decisions,
            "model_output": self.settings.model_output_failure,
        }
        if self.settings.hide_terms:
            items = [*find_terms(question), *find_terms(context_text)]
            question, n_q = apply_hidden(question, items, vault)
            context_text, n_c = apply_hidden(context_text, items, vault)
            types |= {i.entity_type for i in items}
            decisions.update({i.entity_type: "pseudonymize" for i in items})
            log.info("hidden_terms", items=len(items), replaced=n_q + n_c)
        question, context_text = _sweep([question, context_text], vault)
        types = tuple(sorted(types))
        decision = decide_route(types, self.settings)
        plan = Plan(
            route=decision.route,
            reason=decision.reason,
            outbound=[],
            question=question,
            context=context_text,
            entity_types=types,
            private_context=private_context,
            decisions=decisions,
        )
        if decision.route != "cloud":
            log.info("routed", route=decision.route, reason=decision.reason)
            return plan
        if self.splits:
            self._split(plan, vault)
        else:
            plan.outbound = [with_context(plan.question, plan.context)]
            self.guard.check(plan.outbound, vault)
        if plan.route != "cloud":
            log.info("routed", route=plan.route, reason=plan.reason)
            return plan
        self._budget(plan, vault)
        log.info(
            "planned", route="cloud", entities=len(plan.entity_types), subqueries=len(plan.outbound)
        )
        return plan

    def _budget(self, plan: Plan, vault: Vault) -> None:
        """Keep what the conversation sends about a person under the policy's
        re-identification budget: generalize, then hide, then block (``privacy.quasi``)."""
        if self.budget is None:
            return
        step = self.budget.apply(plan.outbound, vault)  # raises ReidBudgetExceeded
        plan.outbound, plan.revealed = step.texts, step.revealed
        plan.decisions.update(step.decisions)
        if step.changed:
            self.guard.check(plan.outbound, vault)

    def _split(self, plan: Plan, vault: Vault) -> None:
        """Hide what the detectors missed, then (with documents) decompose; guard the result."""
        s, local = self.settings, self.local
        assert local is not None
        if s.hide_with_model:
            hider = Hider(model=local, settings=s)
            items = hider.find(with_context(plan.question, plan.context))
            if hider.unparsed:  # best_effort let unreadable answers pass: the record says so
                plan.decisions["model_output_unparsed"] = str(hider.unparsed)
            plan.question, _ = apply_hidden(plan.question, items, vault)
            plan.context, _ = apply_hidden(plan.context, items, vault)
            plan.question, plan.context = _sweep([plan.question, plan.context], vault)
            plan.entity_types = tuple(sorted({*plan.entity_types, *(i.entity_type for i in items)}))
            plan.decisions.update({i.entity_type: "pseudonymize" for i in items})
            decision = decide_route(plan.entity_types, s)
            plan.route, plan.reason = decision.route, decision.reason
            if plan.route != "cloud":
                return
        fallback = [with_context(plan.question, plan.context)]
        if s.decompose == "always" or (s.decompose == "documents" and plan.context):
            plan.outbound = Planner(model=local, settings=s).plan(plan.question, plan.context)
            if not plan.outbound:  # the documents answer it: nothing needs to leave
                plan.route, plan.reason = "local", "answered_from_documents"
                return
        else:
            plan.outbound = fallback
        plan.outbound = _sweep(plan.outbound, vault)  # the planner may write a known value anew
        try:
            self.guard.check(plan.outbound, vault)
        except PrivacyBlocked as exc:  # the planner wrote something private: drop its output
            if plan.outbound == fallback:
                raise
            log.warning("plan_rejected_by_guard", entity_types=list(exc.entity_types))
            plan.outbound = fallback
            self.guard.check(plan.outbound, vault)

    # -- asking ---------------------------------------------------------------------------
    async def ask(
        self,
        text: str,
        *,
        vault: Vault | None = None,
        request_id: str = "",
        conversation_id: str = "",
        extra_hooks: Sequence[EgressHook] = (),
        documents: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> AskResult:
        result: AskResult | None = None
        async for event in self.stream(
            text,
            vault=vault,
            request_id=request_id,
            conversation_id=conversation_id,
            extra_hooks=extra_hooks,
            documents=documents,
            progress=progress,
        ):
            if event.kind == "done":
                result = event.result
        assert result is not None
        return result

    async def stream(
        self,
        text: str,
        *,
        vault: Vault | None = None,
        request_id: str = "",
        conversation_id: str = "",
        extra_hooks: Sequence[EgressHook] = (),
        documents: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> AsyncIterator[PipelineEvent]:
        started = time.perf_counter()
        vault = vault if vault is not None else Vault()
        yield PipelineEvent("stage", stage="summarize" if documents else "redact")
        prepared = await asyncio.to_thread(self._prepare, text, vault, documents, progress)
        yield PipelineEvent("stage", stage="plan")
        plan = await asyncio.to_thread(self._plan, *prepared, vault)
        if plan.route == "blocked":
            raise PrivacyBlocked(
                f"the policy blocks requests with {plan.reason}; nothing was sent",
                entity_types=(plan.reason,),
            )
        cloud_seconds = 0.0
        usage = Usage()
        parts: list[str] = []
        route, cache = plan.route, ""
        if plan.route == "local":
            yield PipelineEvent("outbound", outbound=(), route="local")
            if self.local is None:
                raise PrivacyBlocked(
                    "this request must stay on the device and no edge model is "
                    "configured; nothing was sent",
                    entity_types=(plan.reason,),
                )
            yield PipelineEvent("stage", stage="answer_locally")
            merger = Merger(model=self.local, settings=self.settings)
            async for piece in merger.answer_locally(text, plan.private_context):
                parts.append(piece)
                yield PipelineEvent("delta", text=piece)
        elif (cached := await self._from_cache(plan)) is not None:  # nothing is sent
            route, cache = "cache", "hit"
            yield PipelineEvent("outbound", outbound=(), route="cache")
            yield PipelineEvent("stage", stage="cache")
            restorer = self.restorer_factory(vault)
            async for piece in self._compose(text, plan, cached, vault):
                if out := restorer.feed(piece):
                    parts.append(out)
                    yield PipelineEvent("delta", text=out)
            if tail := restorer.flush():
                parts.append(tail)
                yield PipelineEvent("delta", text=tail)
        else:
            cache = "miss" if self.cache is not None else ""
            delegator = self.delegator
            release = await delegator.release(  # the audit hook last; raises: nothing is sent
                plan.outbound,
                request_id=request_id or uuid.uuid4().hex,
                conversation_id=conversation_id,
                decisions={"route": plan.route, "protection": GUARDED, **plan.decisions},
                extra_hooks=extra_hooks,
            )
            vault.reveal(plan.revealed)  # released: the conversation's spend grows
            yield PipelineEvent("outbound", outbound=tuple(plan.outbound), route="cloud")
            yield PipelineEvent("stage", stage="delegate")
            restorer = self.restorer_factory(vault)
            wait = time.perf_counter()
            merge = self.splits and needs_model(
                self.settings, subqueries=len(plan.outbound), has_context=bool(plan.context)
            )
            if not merge and len(plan.outbound) == 1:
                received: list[str] = []
                async for piece, used in delegator.stream_one(release, plan.outbound[0]):
                    usage = used or usage
                    received.append(piece)
                    if out := restorer.feed(piece):
                        parts.append(out)
                        yield PipelineEvent("delta", text=out)
                cloud_seconds = time.perf_counter() - wait
                answers = [CloudAnswer(plan.outbound[0], "".join(received), usage)]
                await self._to_cache(answers, vault)
            else:
                answers = await delegator.all(release, plan.outbound)
                cloud_seconds = time.perf_counter() - wait
                await self._to_cache(answers, vault)
                for a in answers:
                    usage = usage + a.usage
                if merge:
                    yield PipelineEvent("stage", stage="merge")
                async for piece in self._compose(text, plan, answers, vault):
                    if out := restorer.feed(piece):
                        parts.append(out)
                        yield PipelineEvent("delta", text=out)
            if tail := restorer.flush():
                parts.append(tail)
                yield PipelineEvent("delta", text=tail)
        total = time.perf_counter() - started
        result = AskResult(
            answer="".join(parts),
            route=route,
            outbound=list(plan.outbound) if route != "cache" else [],
            cloud_usage=usage,
            seconds_total=total,
            seconds_edge=max(0.0, total - cloud_seconds),
            local_context=plan.context,
            model_output=plan.decisions.get("model_output", ""),
            cache=cache,
            reid={k: v for k, v in plan.decisions.items() if k.startswith("reid")},
        )
        log.info(
            "answered",
            route=route,
            subqueries=len(plan.outbound),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            seconds=round(total, 3),
            edge_seconds=round(result.seconds_edge, 3),
        )
        yield PipelineEvent("done", route=route, result=result)

    # -- the answer cache and composing cloud answers --------------------------------------
    async def _from_cache(self, plan: Plan) -> list[CloudAnswer] | None:
        """Answers to every guarded sub-query from the cache, or None (a miss, or no cache)."""
        if self.cache is None:
            return None
        try:
            found = await asyncio.to_thread(self.cache.look_up, plan.outbound, self.cache_scope)
        except OSError as exc:  # an unreadable cache is a miss, never a failed request
            log.warning("cache_read_failed", error=type(exc).__name__)
            return None
        return None if found is None else [CloudAnswer(a.query, a.text, a.usage) for a in found]

    async def _to_cache(self, answers: Sequence[CloudAnswer], vault: Vault) -> None:
        """Keep the cloud's sanitized answers; a cache that cannot write never fails a request."""
        if self.cache is None:
            return
        try:
            await asyncio.to_thread(self.cache.remember, answers, self.cache_scope, vault)
        except OSError as exc:
            log.warning("cache_store_failed", error=type(exc).__name__)

    def _compose(
        self, text: str, plan: Plan, answers: Sequence[CloudAnswer], vault: Vault
    ) -> AsyncIterator[str]:
        """The answer text from the sub-queries' answers (placeholder form): the edge model
        merges them with the private context when the settings ask for it, else joined."""
        merge = self.splits and needs_model(
            self.settings, subqueries=len(plan.outbound), has_context=bool(plan.context)
        )
        if not merge:
            return _iterate(["\n\n".join(a.text for a in answers)])
        # merge runs on the device: it reads the real request and context, and the cloud
        # answers with their placeholders restored
        restored = [
            CloudAnswer(vault.restore(a.query), vault.restore(a.text), a.usage) for a in answers
        ]
        return Merger(model=self.local, settings=self.settings).merge(
            text, plan.private_context, restored
        )

    async def ask_raw(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        request_id: str = "",
        conversation_id: str = "",
        extra_hooks: Sequence[EgressHook] = (),
        params: GenerationParams | None = None,
    ) -> AskResult:
        """NO PROTECTION: the request and documents go to the cloud as they are (the baseline
        of the benchmark and of ``privsplit ask --raw``). It passes the same egress hooks, and
        its audit record says ``protection: none``."""
        started = time.perf_counter()
        query = "\n\n".join([text, *documents])
        delegator = self.delegator
        release = await delegator.release(
            [query],
            request_id=request_id or uuid.uuid4().hex,
            conversation_id=conversation_id,
            decisions={"route": "raw", "protection": UNPROTECTED},
            extra_hooks=extra_hooks,
        )
        answer = await delegator.one(release, query, params=params)
        total = time.perf_counter() - started
        log.warning(
            "answered_raw", prompt_tokens=answer.usage.prompt_tokens, seconds=round(total, 3)
        )
        return AskResult(
            answer=answer.text,
            route="raw",
            outbound=[query],
            cloud_usage=answer.usage,
            seconds_total=total,
            seconds_edge=0.0,
        )


def _sweep(texts: Sequence[str], vault: Vault) -> list[str]:
    """``sweep_known`` over each text; logs only the count."""
    out, count = [], 0
    for text in texts:
        swept, n = sweep_known(text, vault)
        out.append(swept)
        count += n
    if count:
        log.info("swept_known_values", count=count)
    return out


async def _iterate(items: Sequence[str]) -> AsyncIterator[str]:
    for item in items:
        yield item
