"""What the blocking and the asyncio clients share, so each of them does only its I/O.

``ClientBase`` (constructed the same for both; each adds only ``_connect``) holds where the daemon is (``target``), the check that its socket belongs to
the right user (``SocketTrust``), the timeout, the retry policy and the API key, and builds
every request message and the call metadata. ``may_retry`` is the one retry rule of both
clients: a next attempt exists and fits before the deadline. ``ConversationBase`` is a
conversation's methods (turns that share one vault on the daemon); each client's
conversation adds only its ``with`` / ``async with``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from privsplit.client._common import RetryPolicy, ask_request, metadata, target, unix_socket
from privsplit.client._trust import SocketTrust
from privsplit.shared.proto import edge


class ClientBase:
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
        self._connect()

    def _connect(self) -> None:
        """Set up the channel to ``target`` (each client its own kind; nothing is sent)."""
        raise NotImplementedError

    def deadline(self, timeout: float | None) -> float:
        """The monotonic time a call (all its attempts) must end by."""
        return time.monotonic() + (timeout or self.timeout)

    def attempts(self) -> list[float | None]:
        """The pause before each next attempt; ``None`` marks the last attempt."""
        return [*self.retry.delays(), None]

    @staticmethod
    def may_retry(delay: float | None, deadline: float) -> bool:
        """Whether another attempt follows after ``delay`` seconds, before ``deadline``."""
        return delay is not None and deadline - time.monotonic() > delay

    def metadata(self, request_id: str | None = None) -> list[tuple[str, str]]:
        return metadata(self._api_key, request_id)

    # -- the request messages ---------------------------------------------------------------
    @staticmethod
    def new_request_id() -> str:
        return uuid.uuid4().hex

    @staticmethod
    def ask_message(text: str, documents: Sequence[str], conversation_id: str) -> edge.AskRequest:
        return ask_request(text, list(documents), conversation_id, False)

    @staticmethod
    def stream_message(
        text: str,
        documents: Sequence[str],
        conversation_id: str,
        *,
        approval: bool,
        progress: bool,
    ) -> edge.StreamAskRequest:
        return edge.StreamAskRequest(
            request=ask_request(text, list(documents), conversation_id, approval),
            progress=progress,
        )

    @staticmethod
    def approve_message(request_id: str, approved: bool) -> edge.ApproveRequest:
        return edge.ApproveRequest(request_id=request_id, approved=approved)

    @staticmethod
    def redact_message(text: str, conversation_id: str) -> edge.RedactRequest:
        return edge.RedactRequest(text=text, conversation_id=conversation_id)

    @staticmethod
    def plan_message(text: str, documents: Sequence[str], conversation_id: str) -> edge.PlanRequest:
        return edge.PlanRequest(
            text=text, documents=list(documents), conversation_id=conversation_id
        )


class ConversationBase:
    """Turns that share one vault: ``[PERSON_1]`` stays the same person. Each method is the
    client's, in this conversation (awaited for the asyncio client)."""

    def __init__(self, *, client: Any, id: str) -> None:
        self.client = client
        self.id = id

    def ask(self, text: str, **kwargs: Any) -> Any:
        return self.client.ask(text, conversation_id=self.id, **kwargs)

    def stream(self, text: str, **kwargs: Any) -> Any:
        return self.client.stream(text, conversation_id=self.id, **kwargs)

    def redact(self, text: str, **kwargs: Any) -> Any:
        return self.client.redact(text, conversation_id=self.id, **kwargs)

    def plan(self, text: str, **kwargs: Any) -> Any:
        return self.client.plan(text, conversation_id=self.id, **kwargs)

    def delete(self) -> Any:
        return self.client.delete_conversation(self.id)
