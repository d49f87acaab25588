"""Detected spans: offsets into the input, never copies of the value."""

from __future__ import annotations

from dataclasses import dataclass, field

from privsplit.shared.types import Span


@dataclass
class Redaction:
    """The one redaction result (the privacy engine's and the detector-only redactor's)."""

    text: str  # what may leave the device
    spans: list[Span]  # spans that were replaced (pseudonymized or masked)
    decisions: dict[str, str] = field(default_factory=dict)  # entity type -> action taken


def _has_alnum(text: str, start: int, end: int) -> bool:
    return any(c.isalnum() for c in text[start:end])


def _merge_same_type(spans: list[Span]) -> list[Span]:
    """Overlapping spans of one entity type become their union (best score, its detector)."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.entity_type, s.start, -s.end, -s.score, s.detector)):
        prev = out[-1] if out else None
        if prev is not None and prev.entity_type == span.entity_type and span.start < prev.end:
            best = prev if (prev.score, prev.detector) >= (span.score, span.detector) else span
            out[-1] = Span(
                prev.start, max(prev.end, span.end), prev.entity_type, best.score, best.detector
            )
        else:
            out.append(span)
    return out


def resolve_overlaps(spans: list[Span], text: str | None = None) -> list[Span]:
    """Keep a non-overlapping set, deterministically.

    Higher score wins, then the longer span, then the earlier start, then type and detector
    names (so ties never depend on detector order). With ``text`` given, the part of a losing
    span that sticks out of the winners is kept as its own span when it holds a letter or
    digit (privacy first: a partial overlap never un-redacts anything).
    """
    ranked = sorted(
        _merge_same_type(spans),
        key=lambda s: (-s.score, -s.length(), s.start, s.entity_type, s.detector),
    )
    kept: list[Span] = []
    for span in ranked:
        pieces = [(span.start, span.end)]
        for k in kept:
            nxt: list[tuple[int, int]] = []
            for a, b in pieces:
                if a < k.end and k.start < b:
                    if a < k.start:
                        nxt.append((a, k.start))
                    if k.end < b:
                        nxt.append((k.end, b))
                else:
                    nxt.append((a, b))
            pieces = nxt
        if pieces == [(span.start, span.end)]:
            kept.append(span)
        elif text is not None:
            for a, b in pieces:
                while a < b and not text[a].isalnum():
                    a += 1
                while b > a and not text[b - 1].isalnum():
                    b -= 1
                if b > a and _has_alnum(text, a, b):
                    kept.append(Span(a, b, span.entity_type, span.score, span.detector))
    return sorted(kept, key=lambda s: s.start)
