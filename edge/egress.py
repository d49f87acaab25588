"""The contract between the pipeline and whatever must see outbound text before it leaves.

After the egress guard passed and before the first byte is sent, the pipeline calls every
hook with the ``OutboundBatch``, in order. A hook that raises stops the request and nothing
is sent (the audit log uses this: if it cannot write, nothing leaves; approval mode raises
``PrivacyBlocked`` when the caller rejects).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OutboundBatch:
    request_id: str
    conversation_id: str
    destination: str  # the cloud address
    outbound: tuple[str, ...]  # exactly what will be sent
    decisions: dict[str, str] = field(default_factory=dict)  # entity type -> policy action
    created: float = field(default_factory=time.time)


EgressHook = Callable[[OutboundBatch], Awaitable[None]]


async def run_hooks(hooks: Sequence[EgressHook], batch: OutboundBatch) -> None:
    for hook in hooks:
        await hook(batch)
