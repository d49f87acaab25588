"""The daemon's domain layer, shared by the gRPC servicer and the HTTP API.

It validates a request, picks the vault (a conversation's, or a fresh one), adds the
per-request approval hook when asked for, and runs the pipeline. The audit record is written
by the pipeline's egress gate (``privsplit.edge.egress``), after the approval, for every send.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from privsplit.edge.daemon.approvals import ApprovalBroker
from privsplit.edge.daemon.conversations import Conversation, ConversationManager
from privsplit.edge.daemon.metrics import DaemonMetrics
from privsplit.edge.daemon.settings import DaemonSettings
from privsplit.edge.egress import EgressHook, OutboundBatch
from privsplit.edge.pipeline import AskResult, Pipeline, PipelineEvent, Plan, Redaction
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import InvalidRequest, PrivsplitError
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams

log = get_logger(__name__)
MAX_DOCUMENTS = 64


@dataclass
class AskOptions:
    documents: Sequence[str] = ()
    conversation_id: str = ""
    require_approval: bool = False
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    params: GenerationParams | None = None  # the cloud's sampling for this request (validated)


class EdgeAgent:
    def __init__(
        self,
        *,
        pipeline: Pipeline,
        conversations: ConversationManager,
        approvals: ApprovalBroker,
        settings: DaemonSettings,
        metrics: DaemonMetrics | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.conversations = conversations
        self.approvals = approvals
        self.settings = settings
        self.metrics = metrics or DaemonMetrics()

    # -- validation and vaults ------------------------------------------------------------
    def _check(self, text: str, documents: Sequence[str] = ()) -> None:
        if not text.strip():
            raise InvalidRequest("the request text is empty")
        if len(text) > self.settings.max_request_chars:
            raise InvalidRequest(
                f"the request text is longer than {self.settings.max_request_chars} characters"
            )
        if len(documents) > MAX_DOCUMENTS:
            raise InvalidRequest(f"at most {MAX_DOCUMENTS} documents per request")
        if sum(len(d) for d in documents) > 10 * self.settings.max_request_chars:
            raise InvalidRequest("the documents are too long")

    @asynccontextmanager
    async def _vault(
        self, conversation_id: str
    ) -> AsyncIterator[tuple[Vault, Conversation | None]]:
        if not conversation_id:
            yield Vault(), None
            return
        conv = await self.conversations.vault(conversation_id)
        try:
            yield conv.vault, conv
        finally:
            await self.conversations.save(conv)

    # -- requests -------------------------------------------------------------------------
    async def stream(self, text: str, options: AskOptions) -> AsyncIterator[PipelineEvent]:
        """The pipeline's events of one request with the approval prompts among them; the last
        one is ``done`` with the whole result."""
        self._check(text, options.documents)
        queue: asyncio.Queue = asyncio.Queue()

        async def announce(batch: OutboundBatch) -> None:
            await queue.put(
                PipelineEvent(
                    "approval_required", request_id=batch.request_id, outbound=batch.outbound
                )
            )

        hooks: list[EgressHook] = []
        if options.require_approval or self.settings.require_approval:
            hooks.append(self.approvals.hook(announce))
        async with self._vault(options.conversation_id) as (vault, _):
            source = self.pipeline.stream(
                text,
                vault=vault,
                request_id=options.request_id,
                conversation_id=options.conversation_id,
                extra_hooks=hooks,
                documents=list(options.documents),
                params=options.params,
            )
            async for event in _merge(source, queue):
                yield event
                if event.kind == "done" and event.result is not None:
                    self.metrics.routes.labels(event.result.route).inc()
                    self.metrics.outbound.inc(len(event.result.outbound))
                    for key, steps in event.result.reid.items():
                        for step in steps.split(",") if key.startswith("reid:") else ():
                            self.metrics.reid_steps.labels(step.split(":")[0], key[5:]).inc()
                    if event.result.cache == "hit":
                        self.metrics.cache_hits.inc()
                    elif event.result.cache == "miss":
                        self.metrics.cache_misses.inc()
                    if event.result.cascade == "local":
                        self.metrics.cascade_local.inc()
                    elif event.result.cascade == "escalated":
                        self.metrics.cascade_escalations.inc()

    async def ask(self, text: str, options: AskOptions) -> AskResult:
        result: AskResult | None = None
        async for event in self.stream(text, options):
            if event.kind == "done":
                result = event.result
        if result is None:
            raise PrivsplitError("the pipeline ended without a result")
        return result

    async def redact(self, text: str, conversation_id: str = "") -> Redaction:
        self._check(text)
        async with self._vault(conversation_id) as (vault, _):
            return await asyncio.to_thread(self.pipeline.redactor.redact, text, vault)

    async def plan(
        self, text: str, *, documents: Sequence[str] = (), conversation_id: str = ""
    ) -> Plan:
        """Exactly what would leave the device, without sending anything."""
        self._check(text, documents)
        async with self._vault(conversation_id) as (vault, _):
            return await asyncio.to_thread(
                self.pipeline.plan_request, text, vault, documents=list(documents)
            )

    def create_conversation(self, ttl_seconds: int = 0) -> str:
        cid = self.conversations.create(ttl_seconds)
        self.metrics.conversations.set(len(self.conversations))
        return cid

    def delete_conversation(self, conversation_id: str) -> None:
        self.conversations.delete(conversation_id)
        self.metrics.conversations.set(len(self.conversations))

    def approve(self, request_id: str, approved: bool) -> None:
        self.approvals.decide(request_id, approved)

    @asynccontextmanager
    async def observe(self, api: str, method: str) -> AsyncIterator[None]:
        """Count and time one call; the outcome is the error class name, never its message."""
        started = time.perf_counter()
        outcome = "ok"
        self.metrics.approvals_pending.set(self.approvals.pending)
        self.metrics.conversations.set(len(self.conversations))
        try:
            yield
        except PrivsplitError as exc:
            outcome = type(exc).__name__
            raise
        except Exception as exc:
            outcome = type(exc).__name__
            raise
        finally:
            self.metrics.requests.labels(api, method, outcome).inc()
            self.metrics.latency.labels(api, method).observe(time.perf_counter() - started)


async def _merge(
    source: AsyncIterator[PipelineEvent], queue: asyncio.Queue
) -> AsyncIterator[PipelineEvent]:
    """Pipeline events and the approval prompts (put on ``queue`` by the hook) in order."""
    sentinel = object()

    async def pump() -> None:
        try:
            async for event in source:
                await queue.put(event)
            await queue.put(sentinel)
        except Exception as exc:  # handed to the consumer, re-raised there
            await queue.put(exc)

    task = asyncio.create_task(pump())
    try:
        while (item := await queue.get()) is not sentinel:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        if not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
