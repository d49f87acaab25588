"""Detected spans: offsets into the input, never copies of the value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Span:
    start: int
    end: int
    entity_type: str
    score: float
    detector: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"invalid span offsets {self.start}..{self.end}")

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end

    def length(self) -> int:
        return self.end - self.start


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep a non-overlapping subset, deterministically.

    Higher score wins, then the longer span, then the earlier start, then type and detector
    names (so ties never depend on detector order).
    """
    ranked = sorted(spans, key=lambda s: (-s.score, -s.length(), s.start, s.entity_type, s.detector))
    kept: list[Span] = []
    for span in ranked:
        if not any(span.overlaps(k) for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
