"""Approval mode: hold a request's outbound text until the caller approves it.

``ApprovalBroker.hook`` builds an egress hook for one request. It runs after the guard and
before the audit record, tells the caller what would be sent (``notify``), then waits for
``decide``. A rejection or a timeout raises ``ApprovalRejected``: nothing is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from privsplit.edge.egress import EgressHook, OutboundBatch
from privsplit.shared.errors import ApprovalRejected, NotFound
from privsplit.shared.logging import get_logger

log = get_logger(__name__)

Notify = Callable[[OutboundBatch], Awaitable[None]]


class ApprovalBroker:
    def __init__(self, *, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._pending: dict[str, asyncio.Future[bool]] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    def hook(self, notify: Notify | None = None) -> EgressHook:
        async def hold(batch: OutboundBatch) -> None:
            if batch.request_id in self._pending:
                raise ApprovalRejected(
                    "a request with this id is already waiting; nothing was sent"
                )
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._pending[batch.request_id] = future
            log.info("approval_waiting", strings=len(batch.outbound))
            try:
                if notify is not None:
                    await notify(batch)
                approved = await asyncio.wait_for(future, self.timeout_seconds)
            except TimeoutError:
                log.info("approval_timed_out", seconds=self.timeout_seconds)
                raise ApprovalRejected(
                    f"not approved within {self.timeout_seconds:g} s; nothing was sent"
                ) from None
            finally:
                self._pending.pop(batch.request_id, None)
            if not approved:
                log.info("approval_rejected")
                raise ApprovalRejected("the outbound text was rejected; nothing was sent")
            batch.decisions["approval"] = "approved"  # recorded by the audit hook that follows
            log.info("approval_granted")

        return hold

    def decide(self, request_id: str, approved: bool) -> None:
        future = self._pending.get(request_id)
        if future is None or future.done():
            raise NotFound("no request with this id is waiting for approval")
        future.set_result(approved)
