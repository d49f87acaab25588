"""The edge request pipeline: detect -> redact -> guard -> delegate -> restore.

This is the thin first slice; later stages (summarize, plan, merge) plug in between.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from privsplit.edge.delegate import CloudClient
from privsplit.edge.egress import EgressHook, OutboundBatch, run_hooks
from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.spans import Span, resolve_overlaps
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.logging import get_logger
from privsplit.shared.types import CompletionRequest, GenerationParams, Message, Usage

log = get_logger(__name__)

SYSTEM_PROMPT = (
    "You are a helpful assistant. Some names, numbers and addresses in the request were "
    "replaced by placeholders such as [PERSON_1]; keep those placeholders exactly as written "
    "wherever you refer to them."
)


@dataclass
class Redaction:
    text: str
    spans: list[Span]


@dataclass
class AskResult:
    answer: str
    route: str
    outbound: list[str]
    cloud_usage: Usage = field(default_factory=Usage)
    seconds_total: float = 0.0


class Redactor:
    def __init__(self, *, detectors: Sequence[Detector]) -> None:
        self.detectors = list(detectors)

    def detect(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for detector in self.detectors:
            spans.extend(detector.detect(text))
        return resolve_overlaps(spans)

    def redact(self, text: str, vault: Vault) -> Redaction:
        spans = self.detect(text)
        return Redaction(text=vault.redact(text, spans), spans=spans)


class Pipeline:
    def __init__(self, *, redactor: Redactor, guard: EgressGuard, cloud: CloudClient,
                 params: GenerationParams | None = None, cloud_model: str = "",
                 egress_hooks: Sequence[EgressHook] = ()) -> None:
        self.redactor = redactor
        self.guard = guard
        self.cloud = cloud
        self.params = params or GenerationParams()
        self.cloud_model = cloud_model
        self.egress_hooks = list(egress_hooks)

    def plan(self, text: str, vault: Vault) -> list[str]:
        """The exact strings that would leave the device (guard applied)."""
        redaction = self.redactor.redact(text, vault)
        outbound = [redaction.text]
        self.guard.check(outbound, vault)
        log.info("planned", entities=len(redaction.spans), subqueries=len(outbound))
        return outbound

    async def ask(self, text: str, *, vault: Vault | None = None, request_id: str = "",
                  conversation_id: str = "", extra_hooks: Sequence[EgressHook] = ()) -> AskResult:
        started = time.perf_counter()
        vault = vault or Vault()
        outbound = self.plan(text, vault)
        batch = OutboundBatch(request_id=request_id or uuid.uuid4().hex, conversation_id=conversation_id,
                              destination=self.cloud.address, outbound=tuple(outbound))
        await run_hooks([*self.egress_hooks, *extra_hooks], batch)  # raises: nothing is sent
        answers: list[str] = []
        usage = Usage()
        for query in outbound:
            request = CompletionRequest(
                messages=(Message("system", SYSTEM_PROMPT), Message("user", query)),
                params=self.params, model=self.cloud_model)
            answer, used = await self.cloud.complete(request)
            answers.append(answer)
            usage = usage + used
        final = vault.restore("\n\n".join(answers))
        elapsed = time.perf_counter() - started
        log.info("answered", route="cloud", subqueries=len(outbound),
                 prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                 seconds=round(elapsed, 3))
        return AskResult(answer=final, route="cloud", outbound=outbound, cloud_usage=usage,
                         seconds_total=elapsed)
