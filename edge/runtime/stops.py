"""Stop sequences applied to a text stream, for runtimes that do not apply them natively.

A piece is held back while it could still be the start of a stop sequence, so the stop text
never reaches the caller, even when it is split across pieces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def cut_at_stops(pieces: Iterable[str], stops: tuple[str, ...]) -> Iterator[str]:
    """Yield ``pieces`` up to (not including) the first occurrence of any of ``stops``."""
    stops = tuple(s for s in stops if s)
    if not stops:
        yield from pieces
        return
    longest = max(len(s) for s in stops)
    pending = ""
    for piece in pieces:
        pending += piece
        hits = [i for i in (pending.find(s) for s in stops) if i >= 0]
        if hits:
            head = pending[: min(hits)]
            if head:
                yield head
            return
        # keep the tail that may be the beginning of a stop sequence
        keep = 0
        for k in range(1, min(longest - 1, len(pending)) + 1):
            if any(s.startswith(pending[-k:]) for s in stops):
                keep = k
        emit = pending[: len(pending) - keep]
        if emit:
            yield emit
        pending = pending[len(pending) - keep :]
    if pending:
        yield pending
