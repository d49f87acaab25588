"""The asyncio SDK client (same methods as ``Client``, awaited)."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import grpc

from privsplit.client._common import (
    CHANNEL_OPTIONS,
    Answer,
    Plan,
    Redacted,
    RetryPolicy,
    StreamEvent,
    ask_request,
    mapped,
    metadata,
    retryable,
    target,
    unix_socket,
)
from privsplit.client._trust import SocketTrust
from privsplit.shared.errors import DeadlineExceeded, PrivsplitError, Unavailable
from privsplit.shared.proto import EdgeAgentStub, edge

T = TypeVar("T")
AsyncApprover = Callable[[tuple[str, ...]], "bool | Awaitable[bool]"]


class AsyncClient:
    """``async with AsyncClient() as client: answer = await client.ask(...)``."""

    def __init__(
        self,
        *,
        address: str | None = None,
        socket_path: str | Path | None = None,
        timeout: float = 300.0,
        api_key: str | None = None,
        retry: RetryPolicy = RetryPolicy(),
        trusted_daemon_uid: int | str | None = None,
    ) -> None:
        self.target = target(address, socket_path)
        # before anything is sent: the socket is this user's daemon's (or trusted_daemon_uid's)
        self._trust = SocketTrust(unix_socket(address, socket_path), trusted=trusted_daemon_uid)
        self.timeout = timeout
        self.retry = retry
        self._api_key = api_key
        self._channel: grpc.aio.Channel | None = None

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
        deadline = time.monotonic() + (timeout or self.timeout)
        for delay in [*self.retry.delays(), None]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded("the deadline passed before the daemon answered")
            try:
                await self._ensure_trusted()
                return await getattr(self._stub, name)(
                    request, timeout=remaining, metadata=metadata(self._api_key, request_id)
                )
            except Unavailable:  # from the socket check: no daemon listening yet
                if delay is None or deadline - time.monotonic() <= delay:
                    raise
                await asyncio.sleep(delay)
            except grpc.aio.AioRpcError as err:
                if delay is None or not retryable(err) or deadline - time.monotonic() <= delay:
                    raise mapped(err, self.target) from None
                await asyncio.sleep(delay)
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
            reply = await self._call(
                "Ask",
                ask_request(text, documents, conversation_id, False),
                timeout,
                uuid.uuid4().hex,
            )
            return Answer.from_pb(reply)
        async for event in self.stream(
            text,
            documents=documents,
            conversation_id=conversation_id,
            approve=approve,
            timeout=timeout,
        ):
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
        request = edge.StreamAskRequest(
            request=ask_request(text, documents, conversation_id, approve is not None),
            progress=progress,
        )
        deadline = time.monotonic() + (timeout or self.timeout)
        for delay in [*self.retry.delays(), None]:
            started = False
            try:
                await self._ensure_trusted()
            except Unavailable:
                if delay is None or deadline - time.monotonic() <= delay:
                    raise
                await asyncio.sleep(delay)
                continue
            call = self._stub.StreamAsk(
                request,
                timeout=max(0.0, deadline - time.monotonic()),
                metadata=metadata(self._api_key, uuid.uuid4().hex),
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
        await self._call(
            "Approve", edge.ApproveRequest(request_id=request_id, approved=approved), timeout
        )

    async def redact(
        self, text: str, *, conversation_id: str = "", timeout: float | None = None
    ) -> Redacted:
        reply = await self._call(
            "Redact", edge.RedactRequest(text=text, conversation_id=conversation_id), timeout
        )
        return Redacted.from_pb(reply)

    async def plan(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        timeout: float | None = None,
    ) -> Plan:
        reply = await self._call(
            "Plan",
            edge.PlanRequest(text=text, documents=list(documents), conversation_id=conversation_id),
            timeout,
        )
        return Plan.from_pb(reply)

    async def create_conversation(self, *, ttl_seconds: int = 0) -> AsyncConversation:
        reply = await self._call(
            "CreateConversation", edge.CreateConversationRequest(ttl_seconds=ttl_seconds), None
        )
        return AsyncConversation(client=self, id=reply.conversation_id)

    async def delete_conversation(self, conversation_id: str) -> None:
        await self._call(
            "DeleteConversation",
            edge.DeleteConversationRequest(conversation_id=conversation_id),
            None,
        )


class AsyncConversation:
    def __init__(self, *, client: AsyncClient, id: str) -> None:
        self.client = client
        self.id = id

    async def ask(self, text: str, **kwargs: Any) -> Answer:
        return await self.client.ask(text, conversation_id=self.id, **kwargs)

    def stream(self, text: str, **kwargs: Any) -> AsyncIterator[StreamEvent]:
        return self.client.stream(text, conversation_id=self.id, **kwargs)

    async def redact(self, text: str, **kwargs: Any) -> Redacted:
        return await self.client.redact(text, conversation_id=self.id, **kwargs)

    async def plan(self, text: str, **kwargs: Any) -> Plan:
        return await self.client.plan(text, conversation_id=self.id, **kwargs)

    async def delete(self) -> None:
        await self.client.delete_conversation(self.id)

    async def __aenter__(self) -> AsyncConversation:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.delete()
