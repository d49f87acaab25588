"""The blocking SDK client."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
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
Approver = Callable[[tuple[str, ...]], bool]


class Client:
    """``Client()`` talks to the daemon's Unix socket; ``Client(address="127.0.0.1:PORT")`` to
    its loopback TCP listener. Errors are the typed ``privsplit.shared.errors`` classes."""

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
        deadline = time.monotonic() + (timeout or self.timeout)
        for delay in [*self.retry.delays(), None]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded("the deadline passed before the daemon answered")
            try:
                self._trust.ensure()
                return method(
                    request, timeout=remaining, metadata=metadata(self._api_key, request_id)
                )
            except Unavailable:  # from the socket check: no daemon listening yet
                if delay is None or deadline - time.monotonic() <= delay:
                    raise
                time.sleep(delay)
            except grpc.RpcError as err:
                if delay is None or not retryable(err) or deadline - time.monotonic() <= delay:
                    raise mapped(err, self.target) from None
                time.sleep(delay)
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
            reply = self._call(
                self._stub.Ask,
                ask_request(text, documents, conversation_id, False),
                timeout,
                uuid.uuid4().hex,
            )
            return Answer.from_pb(reply)
        for event in self.stream(
            text,
            documents=documents,
            conversation_id=conversation_id,
            approve=approve,
            timeout=timeout,
        ):
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
        request = edge.StreamAskRequest(
            request=ask_request(text, documents, conversation_id, approve is not None),
            progress=progress,
        )
        deadline = time.monotonic() + (timeout or self.timeout)
        delays = [*self.retry.delays(), None]
        for delay in delays:
            started = False
            try:
                self._trust.ensure()
            except Unavailable:
                if delay is None or deadline - time.monotonic() <= delay:
                    raise
                time.sleep(delay)
                continue
            call = self._stub.StreamAsk(
                request,
                timeout=max(0.0, deadline - time.monotonic()),
                metadata=metadata(self._api_key, uuid.uuid4().hex),
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
        self._call(
            self._stub.Approve,
            edge.ApproveRequest(request_id=request_id, approved=approved),
            timeout,
        )

    def redact(
        self, text: str, *, conversation_id: str = "", timeout: float | None = None
    ) -> Redacted:
        """Detect and replace private data; nothing leaves the device."""
        reply = self._call(
            self._stub.Redact,
            edge.RedactRequest(text=text, conversation_id=conversation_id),
            timeout,
        )
        return Redacted.from_pb(reply)

    def plan(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        conversation_id: str = "",
        timeout: float | None = None,
    ) -> Plan:
        """Exactly what would leave the device, without sending it."""
        reply = self._call(
            self._stub.Plan,
            edge.PlanRequest(text=text, documents=list(documents), conversation_id=conversation_id),
            timeout,
        )
        return Plan.from_pb(reply)

    # -- conversations --------------------------------------------------------------------
    def create_conversation(self, *, ttl_seconds: int = 0) -> Conversation:
        reply = self._call(
            self._stub.CreateConversation,
            edge.CreateConversationRequest(ttl_seconds=ttl_seconds),
            None,
        )
        return Conversation(client=self, id=reply.conversation_id)

    def delete_conversation(self, conversation_id: str) -> None:
        self._call(
            self._stub.DeleteConversation,
            edge.DeleteConversationRequest(conversation_id=conversation_id),
            None,
        )


class Conversation:
    """Turns that share one vault: ``[PERSON_1]`` stays the same person. ``with`` deletes it."""

    def __init__(self, *, client: Client, id: str) -> None:
        self.client = client
        self.id = id

    def ask(self, text: str, **kwargs: Any) -> Answer:
        return self.client.ask(text, conversation_id=self.id, **kwargs)

    def stream(self, text: str, **kwargs: Any) -> Iterator[StreamEvent]:
        return self.client.stream(text, conversation_id=self.id, **kwargs)

    def redact(self, text: str, **kwargs: Any) -> Redacted:
        return self.client.redact(text, conversation_id=self.id, **kwargs)

    def plan(self, text: str, **kwargs: Any) -> Plan:
        return self.client.plan(text, conversation_id=self.id, **kwargs)

    def delete(self) -> None:
        self.client.delete_conversation(self.id)

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()
