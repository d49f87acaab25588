"""The asyncio SDK client (same methods as ``Client``, awaited)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc

from privsplit.client._base import ClientBase, ConversationBase
from privsplit.client._common import (
    CHANNEL_OPTIONS,
    Answer,
    Plan,
    Redacted,
    StreamEvent,
    mapped,
    retryable,
)
from privsplit.shared.errors import DeadlineExceeded, PrivsplitError, Unavailable
from privsplit.shared.proto import EdgeAgentStub, edge

T = TypeVar("T")
AsyncApprover = Callable[[tuple[str, ...]], "bool | Awaitable[bool]"]


class AsyncClient(ClientBase):
    """``async with AsyncClient() as client: answer = await client.ask(...)``."""

    def _connect(self) -> None:
        self._channel: grpc.aio.Channel | None = None  # opened at first use (``_stub``)

    @property
    def _stub(self) -> EdgeAgentStub:
        if self._channel is None:  # created lazily: a grpc.aio channel binds to the running loop
            self._channel = grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)
        return EdgeAgentStub(self._channel)

    async def _ensure_trusted(self) -> None:
        if not self._trust.verified:  # a probe connect and a few stat calls: off the loop
            await asyncio.to_thread(self._trust.ensure)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(
        self, name: str, request: Any, timeout: float | None, request_id: str | None = None
    ) -> Any:
        deadline = self.deadline(timeout)
        for delay in self.attempts():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded("the deadline passed before the daemon answered")
            try:
                await self._ensure_trusted()
                return await getattr(self._stub, name)(
                    request, timeout=remaining, metadata=self.metadata(request_id)
                )
            except Unavailable:  # from the socket check: no daemon listening yet
                if not self.may_retry(delay, deadline):
                    raise
            except grpc.aio.AioRpcError as err:
                if not retryable(err) or not self.may_retry(delay, deadline):
                    raise mapped(err, self.target) from None
            await asyncio.sleep(delay)  # type: ignore[arg-type]  # may_retry: not the last
        raise AssertionError("unreachable")

    async def ask(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        approve: AsyncApprover | None = None,
        timeout: float | None = None,
    ) -> Answer:
        if approve is None:
            request = self.ask_message(text, documents, conversation_id)
            return Answer.from_pb(await self._call("Ask", request, timeout, self.new_request_id()))
        events = self.stream(
            text,
            documents=documents,
            conversation_id=conversation_id,
            approve=approve,
            timeout=timeout,
        )
        async for event in events:
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise PrivsplitError("the stream ended without an answer")

    async def stream(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        approve: AsyncApprover | None = None,
        timeout: float | None = None,
        progress: bool = True,
    ) -> AsyncIterator[StreamEvent]:
        """Events as they happen: stages, reading progress (``progress`` events, unless
        ``progress=False``), the outbound text, answer pieces, then ``done``."""
        request = self.stream_message(
            text, documents, conversation_id, approval=approve is not None, progress=progress
        )
        deadline = self.deadline(timeout)
        for delay in self.attempts():
            started = False
            try:
                await self._ensure_trusted()
            except Unavailable:
                if not self.may_retry(delay, deadline):
                    raise
                await asyncio.sleep(delay)  # type: ignore[arg-type]
                continue
            call = self._stub.StreamAsk(
                request,
                timeout=max(0.0, deadline - time.monotonic()),
                metadata=self.metadata(self.new_request_id()),
            )
            try:
                async for message in call:
                    started = True
                    event = StreamEvent.from_pb(message)
                    if event is None:  # an event kind from a newer daemon
                        continue
                    if event.kind == "approval_required" and approve is not None:
                        decision = approve(event.outbound)
                        if inspect.isawaitable(decision):
                            decision = await decision
                        await self.approve(event.request_id, bool(decision))
                    yield event
                return
            except grpc.aio.AioRpcError as err:
                if started or delay is None or not retryable(err):
                    raise mapped(err, self.target) from None
                await asyncio.sleep(delay)
            finally:
                call.cancel()

    async def approve(
        self, request_id: str, approved: bool, *, timeout: float | None = None
    ) -> None:
        await self._call("Approve", self.approve_message(request_id, approved), timeout)

    async def redact(
        self, text: str, *, conversation_id: str = "", timeout: float | None = None
    ) -> Redacted:
        request = self.redact_message(text, conversation_id)
        return Redacted.from_pb(await self._call("Redact", request, timeout))

    async def plan(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        timeout: float | None = None,
    ) -> Plan:
        request = self.plan_message(text, documents, conversation_id)
        return Plan.from_pb(await self._call("Plan", request, timeout))

    async def create_conversation(self, *, ttl_seconds: int = 0) -> AsyncConversation:
        request = edge.CreateConversationRequest(ttl_seconds=ttl_seconds)
        reply = await self._call("CreateConversation", request, None)
        return AsyncConversation(client=self, id=reply.conversation_id)

    async def delete_conversation(self, conversation_id: str) -> None:
        request = edge.DeleteConversationRequest(conversation_id=conversation_id)
        await self._call("DeleteConversation", request, None)


class AsyncConversation(ConversationBase):
    """``async with`` deletes it; each method is awaited (``stream`` is iterated)."""

    client: AsyncClient

    async def __aenter__(self) -> AsyncConversation:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.delete()
