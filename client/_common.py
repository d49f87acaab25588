"""What the sync and async clients share: targets, retry policy, result types, conversion."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import grpc

from privsplit.client._address import default_socket_path
from privsplit.shared.errors import (
    ERROR_METADATA_KEY,
    InvalidRequest,
    PrivsplitError,
    Unavailable,
    from_rpc_error,
)
from privsplit.shared.proto import edge

RouteName = Literal["unspecified", "cloud", "local", "blocked", "cache"]
_ROUTES: dict[int, RouteName] = {
    edge.ROUTE_UNSPECIFIED: "unspecified",
    edge.ROUTE_CLOUD: "cloud",
    edge.ROUTE_LOCAL: "local",
    edge.ROUTE_BLOCKED: "blocked",
    edge.ROUTE_CACHE: "cache",
}
CHANNEL_OPTIONS = [("grpc.enable_retries", 0), ("grpc.max_receive_message_length", 64 << 20)]


def target(address: str | None, socket_path: str | Path | None) -> str:
    """A gRPC target: ``host:port`` when given, else the daemon's Unix socket."""
    unix = unix_socket(address, socket_path)
    return f"unix:{unix}" if unix is not None else str(address)


def unix_socket(address: str | None, socket_path: str | Path | None) -> Path | None:
    """The Unix socket the client talks to (checked by ``_trust`` before use), or None for a
    TCP address; a ``unix:`` address counts as a socket too."""
    if address and socket_path:
        raise InvalidRequest("give either address or socket_path, not both")
    if address:
        if address.startswith("unix:"):
            return Path(address.removeprefix("unix:").removeprefix("//"))
        return None
    return Path(socket_path) if socket_path else default_socket_path()


@dataclass(frozen=True)
class RetryPolicy:
    """Retries UNAVAILABLE only (the daemon is not reachable), with jittered exponential backoff."""

    attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def delays(self) -> list[float]:
        out, delay = [], self.initial_backoff
        for _ in range(max(0, self.attempts - 1)):
            out.append(random.uniform(0.5, 1.0) * min(delay, self.max_backoff))
            delay *= self.multiplier
        return out


def retryable(err: grpc.RpcError) -> bool:
    """UNAVAILABLE raised by the transport, not a typed error sent on purpose by the daemon
    (such as CloudUnavailable: the request reached the daemon)."""
    if err.code() != grpc.StatusCode.UNAVAILABLE:
        return False
    return not any(k == ERROR_METADATA_KEY for k, _ in (err.trailing_metadata() or ()))


def mapped(err: grpc.RpcError, tgt: str) -> PrivsplitError:
    if retryable(err):
        return Unavailable(f"the privsplit daemon is not reachable at {tgt}")
    return from_rpc_error(err)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Answer:
    """The answer with private values restored, and exactly what was sent to the cloud."""

    text: str
    route: RouteName
    outbound: tuple[str, ...]
    request_id: str
    cloud_usage: Usage = field(default_factory=Usage)

    @classmethod
    def from_pb(cls, r: edge.AskResponse) -> Answer:
        return cls(
            text=r.answer,
            route=_ROUTES.get(r.route, "unspecified"),
            outbound=tuple(r.outbound),
            request_id=r.request_id,
            cloud_usage=Usage(r.cloud_usage.prompt_tokens, r.cloud_usage.completion_tokens),
        )


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity_type: str
    score: float
    detector: str


@dataclass(frozen=True)
class Redacted:
    text: str
    spans: tuple[Span, ...]

    @classmethod
    def from_pb(cls, r: edge.RedactResponse) -> Redacted:
        return cls(
            text=r.redacted_text,
            spans=tuple(Span(s.start, s.end, s.entity_type, s.score, s.detector) for s in r.spans),
        )


@dataclass(frozen=True)
class Plan:
    """What would leave the device (nothing was sent)."""

    route: RouteName
    outbound: tuple[str, ...]

    @classmethod
    def from_pb(cls, r: edge.PlanResponse) -> Plan:
        return cls(route=_ROUTES.get(r.route, "unspecified"), outbound=tuple(r.outbound))


@dataclass(frozen=True)
class StreamEvent:
    """``stage`` (``stage`` set), ``approval_required`` (``request_id``, ``outbound``),
    ``outbound`` (``outbound``), ``delta`` (``text``), ``done`` (``answer``)."""

    kind: Literal["stage", "approval_required", "outbound", "delta", "done"]
    stage: str = ""
    text: str = ""
    request_id: str = ""
    outbound: tuple[str, ...] = ()
    answer: Answer | None = None

    @classmethod
    def from_pb(cls, r: edge.StreamAskResponse) -> StreamEvent:
        which = r.WhichOneof("event")
        if which == "stage":
            return cls("stage", stage=r.stage)
        if which == "approval_required":
            return cls(
                "approval_required",
                request_id=r.approval_required.request_id,
                outbound=tuple(r.approval_required.outbound),
            )
        if which == "outbound":
            return cls("outbound", outbound=tuple(r.outbound.outbound))
        if which == "answer_delta":
            return cls("delta", text=r.answer_delta)
        return cls("done", answer=Answer.from_pb(r.done))


def ask_request(
    text: str, documents: tuple[str, ...] | list[str], conversation_id: str, require_approval: bool
) -> edge.AskRequest:
    if not isinstance(text, str):
        raise InvalidRequest("text must be a string")
    return edge.AskRequest(
        text=text,
        documents=list(documents),
        conversation_id=conversation_id,
        require_approval=require_approval,
    )


def metadata(api_key: str | None, request_id: str | None) -> list[tuple[str, str]]:
    md = []
    if api_key:
        md.append(("authorization", f"Bearer {api_key}"))
    if request_id:
        md.append(("x-request-id", request_id))
    return md
