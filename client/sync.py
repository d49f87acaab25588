"""The blocking SDK client (what it shares with ``AsyncClient`` is in ``_base``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
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
Approver = Callable[[tuple[str, ...]], bool]


class Client(ClientBase):
    """``Client()`` talks to the daemon's Unix socket; ``Client(address="127.0.0.1:PORT")`` to
    its loopback TCP listener. Errors are the typed ``privsplit.shared.errors`` classes."""

    def _connect(self) -> None:
        self._channel = grpc.insecure_channel(self.target, options=CHANNEL_OPTIONS)
        self._stub = EdgeAgentStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        method: Callable[..., T],
        request: Any,
        timeout: float | None,
        request_id: str | None = None,
    ) -> T:
        deadline = self.deadline(timeout)
        for delay in self.attempts():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded("the deadline passed before the daemon answered")
            try:
                self._trust.ensure()
                return method(request, timeout=remaining, metadata=self.metadata(request_id))
            except Unavailable:  # from the socket check: no daemon listening yet
                if not self.may_retry(delay, deadline):
                    raise
            except grpc.RpcError as err:
                if not retryable(err) or not self.may_retry(delay, deadline):
                    raise mapped(err, self.target) from None
            time.sleep(delay)  # type: ignore[arg-type]  # may_retry: not the last attempt
        raise AssertionError("unreachable")

    # -- requests -------------------------------------------------------------------------
    def ask(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        approve: Approver | None = None,
        timeout: float | None = None,
    ) -> Answer:
        """The answer. With ``approve``, the daemon holds the outbound text until
        ``approve(outbound)`` returns True (False cancels: ``ApprovalRejected``)."""
        if approve is None:
            request = self.ask_message(text, documents, conversation_id)
            return Answer.from_pb(
                self._call(self._stub.Ask, request, timeout, self.new_request_id())
            )
        events = self.stream(
            text,
            documents=documents,
            conversation_id=conversation_id,
            approve=approve,
            timeout=timeout,
        )
        for event in events:
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise PrivsplitError("the stream ended without an answer")

    def stream(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        approve: Approver | None = None,
        timeout: float | None = None,
        progress: bool = True,
    ) -> Iterator[StreamEvent]:
        """Events as they happen: stages, reading progress (``progress`` events, unless
        ``progress=False``), the outbound text, answer pieces, then ``done``."""
        request = self.stream_message(
            text, documents, conversation_id, approval=approve is not None, progress=progress
        )
        deadline = self.deadline(timeout)
        for delay in self.attempts():
            started = False
            try:
                self._trust.ensure()
            except Unavailable:
                if not self.may_retry(delay, deadline):
                    raise
                time.sleep(delay)  # type: ignore[arg-type]
                continue
            call = self._stub.StreamAsk(
                request,
                timeout=max(0.0, deadline - time.monotonic()),
                metadata=self.metadata(self.new_request_id()),
            )
            try:
                for message in call:
                    started = True
                    event = StreamEvent.from_pb(message)
                    if event is None:  # an event kind from a newer daemon
                        continue
                    if event.kind == "approval_required" and approve is not None:
                        self.approve(event.request_id, bool(approve(event.outbound)))
                    yield event
                return
            except grpc.RpcError as err:
                if started or delay is None or not retryable(err):
                    raise mapped(err, self.target) from None
                time.sleep(delay)
            finally:
                call.cancel()

    def approve(self, request_id: str, approved: bool, *, timeout: float | None = None) -> None:
        self._call(self._stub.Approve, self.approve_message(request_id, approved), timeout)

    def redact(
        self, text: str, *, conversation_id: str = "", timeout: float | None = None
    ) -> Redacted:
        """Detect and replace private data; nothing leaves the device."""
        request = self.redact_message(text, conversation_id)
        return Redacted.from_pb(self._call(self._stub.Redact, request, timeout))

    def plan(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        timeout: float | None = None,
    ) -> Plan:
        """Exactly what would leave the device, without sending it."""
        request = self.plan_message(text, documents, conversation_id)
        return Plan.from_pb(self._call(self._stub.Plan, request, timeout))

    # -- conversations --------------------------------------------------------------------
    def create_conversation(self, *, ttl_seconds: int = 0) -> Conversation:
        request = edge.CreateConversationRequest(ttl_seconds=ttl_seconds)
        reply = self._call(self._stub.CreateConversation, request, None)
        return Conversation(client=self, id=reply.conversation_id)

    def delete_conversation(self, conversation_id: str) -> None:
        request = edge.DeleteConversationRequest(conversation_id=conversation_id)
        self._call(self._stub.DeleteConversation, request, None)


class Conversation(ConversationBase):
    """Turns that share one vault: ``[PERSON_1]`` stays the same person. ``with`` deletes it."""

    client: Client

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()
