"""ProgressMeter: chunks read / to read, elapsed seconds and an ETA from the pace so far;
ProgressPump: a blocking step's progress handed to the event loop in order."""

from __future__ import annotations

import asyncio
import time

import pytest

from privsplit.edge.pipeline.progress import ProgressMeter, ProgressPump
from privsplit.shared.errors import InvalidRequest


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


def test_the_pump_yields_a_blocking_steps_progress_in_order_then_its_result() -> None:
    forwarded: list[tuple[str, int, int]] = []

    def step(n: int, *, progress) -> str:
        for i in range(n + 1):
            progress("read", i, n)
            time.sleep(0.01)
        return "notes"

    async def run() -> tuple[list, object]:
        pump = ProgressPump(lambda *a: forwarded.append(a))
        seen = [p async for p in pump.run(step, 3)]
        return seen, pump.result

    seen, result = asyncio.run(run())
    assert result == "notes"
    assert [(p.done, p.total) for p in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert forwarded == [("read", i, 3) for i in range(4)]
    assert seen[-1].eta_seconds == 0.0 and seen[1].eta_seconds is not None


def test_the_pump_raises_the_steps_error() -> None:
    def step(*, progress) -> None:
        progress("read", 0, 2)
        raise InvalidRequest("document 0 is not text")

    async def run() -> None:
        async for _ in ProgressPump().run(step):
            pass

    with pytest.raises(InvalidRequest, match="not text"):
        asyncio.run(run())


def test_the_cli_bar_shows_chunks_read_of_to_read_while_the_model_reads(
    smol, fast_settings, monkeypatch
) -> None:
    """The bar ``privsplit ask`` and ``privsplit demo`` show, driven by a real summarize."""
    import io

    from rich.console import Console

    import privsplit.cli.ask as ask
    from privsplit.edge.pipeline.summarize import Summarizer

    out = io.StringIO()
    monkeypatch.setattr(
        ask, "err_console", Console(file=out, force_terminal=True, width=160, color_system=None)
    )
    bar, callback = ask.summarize_progress()
    seen: list[tuple[int, int]] = []

    def report(step: str, done: int, total: int) -> None:
        seen.append((done, total))
        callback(step, done, total)
        bar.refresh()

    document = "\n".join(
        f"Visit {i}: blood pressure was normal and sleep was fine." for i in range(60)
    )
    with bar:
        Summarizer(model=smol, settings=fast_settings).summarize(
            "Summarize the visits.", [document], progress=report
        )
    shown = out.getvalue()
    done, total = seen[-1]
    assert done == total >= 2 and "reading documents on the device" in shown
    assert f"{done}/{total}" in shown and "chunks" in shown and "ETA" in shown


def test_the_cli_bar_estimates_the_time_left_after_the_first_chunk(monkeypatch) -> None:
    """With two or three chunks rich's own speed window has too few samples; the bar shows the
    pipeline's estimate from the pace so far, and no estimate before a chunk is read."""
    import re

    import privsplit.cli.ask as ask

    bar, callback = ask.summarize_progress()
    (task,) = bar.tasks
    callback("summarize", 0, 2)
    assert task.fields["eta"] == "-:--:--"
    time.sleep(1.2)
    callback("summarize", 1, 2)
    assert re.fullmatch(r"0:00:0[1-9]", task.fields["eta"]), task.fields["eta"]
    callback("summarize", 2, 2)
    assert task.fields["eta"] == "0:00:00" and task.completed == task.total == 2
