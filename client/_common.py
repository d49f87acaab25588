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
from privsplit.shared.types import Span, Usage

RouteName = Literal["unspecified", "cloud", "local", "blocked", "cache", "cascade-escalated"]
_ROUTES: dict[int, RouteName] = {
    edge.ROUTE_UNSPECIFIED: "unspecified",
    edge.ROUTE_CLOUD: "cloud",
    edge.ROUTE_LOCAL: "local",
    edge.ROUTE_BLOCKED: "blocked",
    edge.ROUTE_CACHE: "cache",
    edge.ROUTE_CASCADE_ESCALATED: "cascade-escalated",  # sent: the device's draft was not kept
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


ReidActionName = Literal["unspecified", "generalized", "hidden"]
_REID_ACTIONS: dict[int, ReidActionName] = {
    edge.REID_ACTION_UNSPECIFIED: "unspecified",
    edge.REID_ACTION_GENERALIZED: "generalized",
    edge.REID_ACTION_HIDDEN: "hidden",
}


@dataclass(frozen=True)
class ReidStep:
    """One change the re-identification budget made before sending: details of ``kind``
    (``AGE``, ``LOCATION``...) were ``generalized`` to ``level`` or ``hidden``."""

    kind: str
    action: ReidActionName
    level: str = ""


@dataclass(frozen=True)
class Risk:
    """The conversation's re-identification budget after a request: bits the cloud has been
    sent about one person, the budget, and what was changed to stay under it (kinds and bits
    only, never a value). Over the budget even after generalizing and hiding, the request
    fails with ``ReidBudgetExceeded`` instead."""

    spent_bits: float
    budget_bits: float
    steps: tuple[ReidStep, ...] = ()

    @property
    def remaining_bits(self) -> float:
        return max(0.0, self.budget_bits - self.spent_bits)

    @classmethod
    def from_pb(cls, r: edge.ReidRisk) -> Risk:
        return cls(
            spent_bits=round(r.spent_bits, 2),
            budget_bits=round(r.budget_bits, 2),
            steps=tuple(
                ReidStep(s.kind, _REID_ACTIONS.get(s.action, "unspecified"), s.level)
                for s in r.steps
            ),
        )


def _risk(r: edge.AskResponse | edge.PlanResponse) -> Risk | None:
    return Risk.from_pb(r.reid) if r.HasField("reid") else None


@dataclass(frozen=True)
class Answer:
    """The answer with private values restored, and exactly what was sent to the cloud.
    ``reid``: the conversation's re-identification budget (None when none applied)."""

    text: str
    route: RouteName
    outbound: tuple[str, ...]
    request_id: str
    cloud_usage: Usage = field(default_factory=Usage)
    reid: Risk | None = None

    @classmethod
    def from_pb(cls, r: edge.AskResponse) -> Answer:
        return cls(
            text=r.answer,
            route=_ROUTES.get(r.route, "unspecified"),
            outbound=tuple(r.outbound),
            request_id=r.request_id,
            cloud_usage=Usage(r.cloud_usage.prompt_tokens, r.cloud_usage.completion_tokens),
            reid=_risk(r),
        )


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
    reid: Risk | None = None  # the budget as it would be after sending (nothing is recorded)

    @classmethod
    def from_pb(cls, r: edge.PlanResponse) -> Plan:
        return cls(
            route=_ROUTES.get(r.route, "unspecified"), outbound=tuple(r.outbound), reid=_risk(r)
        )


@dataclass(frozen=True)
class Progress:
    """How far the device is in a long step: ``stage`` "read" counts the chunks of the
    documents read on the device (``done`` of ``total``; the total can grow while the ranked
    reading widens). ``eta_seconds`` is None until it can be estimated."""

    stage: str
    done: int
    total: int
    elapsed_seconds: float
    eta_seconds: float | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @classmethod
    def from_pb(cls, r: edge.AskProgress) -> Progress:
        return cls(
            stage=r.stage,
            done=r.done,
            total=r.total,
            elapsed_seconds=r.elapsed_seconds,
            eta_seconds=r.eta_seconds if r.HasField("eta_seconds") else None,
        )


@dataclass(frozen=True)
class StreamEvent:
    """``stage`` (``stage`` set), ``progress`` (``progress``), ``approval_required``
    (``request_id``, ``outbound``), ``outbound`` (``outbound``), ``delta`` (``text``),
    ``done`` (``answer``)."""

    kind: Literal["stage", "progress", "approval_required", "outbound", "delta", "done"]
    stage: str = ""
    text: str = ""
    request_id: str = ""
    outbound: tuple[str, ...] = ()
    answer: Answer | None = None
    progress: Progress | None = None

    @classmethod
    def from_pb(cls, r: edge.StreamAskResponse) -> StreamEvent | None:
        """The event, or None for an event this SDK does not know (from a newer daemon)."""
        which = r.WhichOneof("event")
        if which == "stage":
            return cls("stage", stage=r.stage)
        if which == "progress":
            return cls("progress", progress=Progress.from_pb(r.progress))
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
        if which == "done":
            return cls("done", answer=Answer.from_pb(r.done))
        return None


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
