"""The one door to the cloud: every outbound batch passes the egress hooks before it is sent.

After the egress guard passed and before the first byte is sent, the pipeline asks its
``EgressGate`` to ``release`` an ``OutboundBatch``. The gate awaits the pipeline's hooks, the
request's extra hooks (e.g. approval), then the audit hook, last, so that it records exactly
what is then sent, approval included. A hook that raises stops the request and nothing is sent
(the audit log raises ``AuditLogError`` when it cannot write; approval raises
``ApprovalRejected`` when the caller rejects).

The gate answers with a ``Release``: the delegator sends only strings of a release issued by
its own gate, so there is no way to the cloud around the hooks. A gate needs an audit hook;
sending without a record is possible only by passing ``UNAUDITED`` on purpose (tests, the
overhead benchmark's baseline row).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from privsplit.shared.errors import ConfigError, PrivsplitError
from privsplit.shared.logging import get_logger

log = get_logger(__name__)

# the ``protection`` decision of every record: "guarded" (detected, hidden, guarded) or "none"
GUARDED = "guarded"
UNPROTECTED = "none"


@dataclass(frozen=True)
class OutboundBatch:
    request_id: str
    conversation_id: str
    destination: str  # the cloud address
    outbound: tuple[str, ...]  # exactly what will be sent
    # entity type -> policy action, plus "route", "protection" and "approval"
    decisions: dict[str, str] = field(default_factory=dict)
    created: float = field(default_factory=time.time)


EgressHook = Callable[[OutboundBatch], Awaitable[None]]


@dataclass(frozen=True)
class Envelope:
    """Who asks, for one request: it travels to every batch the request releases."""

    request_id: str
    conversation_id: str = ""
    hooks: tuple[EgressHook, ...] = ()  # the request's own hooks (e.g. approval)

    @classmethod
    def of(
        cls, request_id: str = "", conversation_id: str = "", hooks: Sequence[EgressHook] = ()
    ) -> Envelope:
        """An envelope; a fresh request id when none is given."""
        return cls(request_id or uuid.uuid4().hex, conversation_id, tuple(hooks))


async def run_hooks(hooks: Sequence[EgressHook], batch: OutboundBatch) -> None:
    for hook in hooks:
        await hook(batch)


async def _unaudited(batch: OutboundBatch) -> None:
    log.debug("egress_unaudited", strings=len(batch.outbound))


UNAUDITED: EgressHook = _unaudited
"""The explicit "no audit record" hook: only for tests and benchmark baselines."""


@dataclass(frozen=True, eq=False)
class Release:
    """Proof that ``batch`` passed every hook of ``gate``; only its strings may be sent."""

    gate: EgressGate
    batch: OutboundBatch

    def check(self, gate: EgressGate, text: str) -> None:
        if self.gate is not gate or text not in self.batch.outbound:
            raise PrivsplitError("refused to send text that did not pass the egress hooks")


class EgressGate:
    def __init__(self, *, audit: EgressHook | None, hooks: Sequence[EgressHook] = ()) -> None:
        if audit is None:
            raise ConfigError(
                "a pipeline that can send to the cloud needs an audit hook "
                "(pass audit=UNAUDITED to send without a record, tests only)"
            )
        self.audit = audit
        self.hooks = list(hooks)

    @property
    def audited(self) -> bool:
        return self.audit is not UNAUDITED

    async def release(
        self, batch: OutboundBatch, extra_hooks: Sequence[EgressHook] = ()
    ) -> Release:
        """Run the hooks (the audit hook last); raises, and nothing may be sent, on refusal."""
        await run_hooks([*self.hooks, *extra_hooks], batch)
        batch.decisions.setdefault("approval", "not_required")  # every record says which
        await self.audit(batch)
        return Release(gate=self, batch=batch)
