"""Progress of a long step on the device (reading the documents' chunks), with an ETA.

``Summarizer.summarize`` reports ``(step, done, total)``; ``ProgressMeter`` turns each report
into a ``StepProgress`` with the seconds spent since the step's first report and an estimate of
the seconds left (the mean seconds per unit so far times the units left; ``None`` before the
first unit is done). The total may grow (ranked reading widens); the last report of a step has
``done == total`` and an ETA of 0. ``ProgressPump`` runs the blocking step in a worker thread
and hands its progress to the event loop, for the pipeline's ``progress`` events. Counts and
timings only: no text passes through here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any


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


class ProgressPump:
    """Runs a blocking step (``fn(*args, progress=callback)``) in a worker thread and yields its
    progress to the event loop as ``StepProgress``, in order, while it runs; ``result`` holds
    what the step returned (its exception is raised from the iteration). ``forward`` also gets
    every raw report, from the worker thread (the CLI's bar)."""

    def __init__(self, forward: Callable[[str, int, int], None] | None = None) -> None:
        self.forward = forward
        self.meter = ProgressMeter()
        self.result: Any = None

    async def run(self, fn: Callable[..., Any], *args: Any) -> AsyncIterator[StepProgress]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[StepProgress] = asyncio.Queue()

        def report(stage: str, done: int, total: int) -> None:  # in the worker thread
            if self.forward is not None:
                self.forward(stage, done, total)
            loop.call_soon_threadsafe(queue.put_nowait, self.meter(stage, done, total))

        work = asyncio.ensure_future(asyncio.to_thread(fn, *args, progress=report))
        try:
            while not work.done():
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            await asyncio.sleep(0)  # reports scheduled just before the step ended
            while not queue.empty():
                yield queue.get_nowait()
            self.result = work.result()
        finally:
            if not work.done():  # the consumer went away: let the step finish on its own
                work.cancel()
