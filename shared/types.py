"""Domain types shared by edge, cloud and the SDK; protobuf conversion happens only at the boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from privsplit.shared.proto import cloud, pb

RoleName = Literal["system", "user", "assistant"]
_ROLE_TO_PB = {"system": pb.ROLE_SYSTEM, "user": pb.ROLE_USER, "assistant": pb.ROLE_ASSISTANT}
_PB_TO_ROLE = {v: k for k, v in _ROLE_TO_PB.items()}
_FINISH_TO_PB = {
    None: pb.FINISH_REASON_UNSPECIFIED,
    "stop": pb.FINISH_REASON_STOP,
    "length": pb.FINISH_REASON_LENGTH,
}
_PB_TO_FINISH = {v: k for k, v in _FINISH_TO_PB.items()}


@dataclass(frozen=True, slots=True)
class Message:
    role: RoleName
    content: str

    def to_pb(self) -> pb.ChatMessage:
        return pb.ChatMessage(role=_ROLE_TO_PB[self.role], content=self.content)

    @classmethod
    def from_pb(cls, msg: pb.ChatMessage) -> Message:
        if msg.role not in _PB_TO_ROLE:
            raise ValueError("message role is not set")
        return cls(role=_PB_TO_ROLE[msg.role], content=msg.content)


@dataclass(frozen=True, slots=True)
class GenerationParams:
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int = 0

    def to_pb(self) -> pb.GenerationParams:
        return pb.GenerationParams(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            stop=list(self.stop),
            seed=self.seed,
        )

    @classmethod
    def from_pb(cls, p: pb.GenerationParams, *, default_max_tokens: int = 256) -> GenerationParams:
        return cls(
            max_tokens=p.max_tokens or default_max_tokens,
            temperature=p.temperature,
            top_p=p.top_p or 1.0,
            stop=tuple(p.stop),
            seed=p.seed,
        )


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_pb(self) -> pb.Usage:
        return pb.Usage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens)

    @classmethod
    def from_pb(cls, u: pb.Usage) -> Usage:
        return cls(prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a streamed completion; ``finish_reason``/``usage`` only on the last one."""

    text: str
    finish_reason: Literal["stop", "length"] | None = None
    usage: Usage | None = None

    def to_pb(self) -> cloud.CompleteResponse:
        out = cloud.CompleteResponse(
            text=self.text, finish_reason=_FINISH_TO_PB[self.finish_reason]
        )
        if self.usage is not None:
            out.usage.CopyFrom(self.usage.to_pb())
        return out

    @classmethod
    def from_pb(cls, r: cloud.CompleteResponse) -> Chunk:
        return cls(
            text=r.text,
            finish_reason=_PB_TO_FINISH.get(r.finish_reason),
            usage=Usage.from_pb(r.usage) if r.HasField("usage") else None,
        )


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    messages: tuple[Message, ...]
    params: GenerationParams = field(default_factory=GenerationParams)
    model: str = ""

    def to_pb(self) -> cloud.CompleteRequest:
        return cloud.CompleteRequest(
            model=self.model,
            messages=[m.to_pb() for m in self.messages],
            params=self.params.to_pb(),
        )

    @classmethod
    def from_pb(
        cls, r: cloud.CompleteRequest, *, default_max_tokens: int = 256
    ) -> CompletionRequest:
        return cls(
            messages=tuple(Message.from_pb(m) for m in r.messages),
            params=GenerationParams.from_pb(r.params, default_max_tokens=default_max_tokens),
            model=r.model,
        )


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A detected span: offsets into the input, never a copy of the value (the edge's and
    the SDK's one span type)."""

    start: int
    end: int
    entity_type: str
    score: float
    detector: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"invalid span offsets {self.start}..{self.end}")

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def length(self) -> int:
        return self.end - self.start
