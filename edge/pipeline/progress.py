"""Progress of a long step on the device (reading the documents' chunks), with an ETA.

``Summarizer.summarize`` reports ``(step, done, total)``; ``ProgressMeter`` turns each report
into a ``StepProgress`` with the seconds spent since the step's first report and an estimate of
the seconds left (the mean seconds per unit so far times the units left; ``None`` before the
first unit is done). The total may grow (ranked reading widens); the last report of a step has
``done == total`` and an ETA of 0. Counts and timings only: no text passes through here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StepProgress:
    stage: str  # "read": chunks of the private documents read on the device
    done: int
    total: int
    elapsed_seconds: float
    eta_seconds: float | None = None


class ProgressMeter:
    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> StepProgress:
        now = self._clock()
        started = self._started.setdefault(stage, now)
        elapsed = max(0.0, now - started)
        done, total = max(0, done), max(0, total, done)
        eta = elapsed / done * (total - done) if done else None
        return StepProgress(
            stage, done, total, round(elapsed, 2), None if eta is None else round(eta, 1)
        )
