"""ProgressMeter: chunks read / to read, elapsed seconds and an ETA from the pace so far."""

from __future__ import annotations

from privsplit.edge.pipeline.progress import ProgressMeter


def test_eta_follows_the_pace_and_the_total_may_grow() -> None:
    now = [100.0]
    meter = ProgressMeter(clock=lambda: now[0])
    first = meter("read", 0, 4)
    assert (first.done, first.total, first.elapsed_seconds, first.eta_seconds) == (0, 4, 0.0, None)
    now[0] = 106.0
    two = meter("read", 2, 4)  # 3 s per chunk so far, 2 to go
    assert (two.elapsed_seconds, two.eta_seconds) == (6.0, 6.0)
    now[0] = 109.0
    widened = meter("read", 3, 6)  # ranked reading widened: 3 more to read
    assert widened.eta_seconds == 9.0
    now[0] = 118.0
    last = meter("read", 6, 6)
    assert (last.done, last.total, last.eta_seconds) == (6, 6, 0.0)
    assert meter("read", 7, 6).total == 7  # never fewer to read than read
