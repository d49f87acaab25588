"""Residency: lazy load, keep-alive unload, one shared instance, bounded queue with Busy."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from privsplit.edge.runtime import create_runtime
from privsplit.edge.runtime.residency import ResidentModel
from privsplit.shared.errors import Busy
from privsplit.shared.types import GenerationParams, Message

pytestmark = pytest.mark.slow

ASK = [Message("user", "Say hello.")]
SHORT = GenerationParams(max_tokens=6)


def resident(path: Path, **kw: float) -> ResidentModel:
    return ResidentModel(model=create_runtime("llamacpp", model_path=path, n_ctx=512), **kw)


def in_thread(fn, timeout: float = 120.0) -> object:
    """Run ``fn`` in another thread (another caller) and return its result or exception."""
    box: list[object] = []

    def run() -> None:
        try:
            box.append(fn())
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            box.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout)
    return box[0]


def wait_until(cond, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_loads_on_first_use_and_reports_memory(test_model_path: Path) -> None:
    model = resident(test_model_path)
    assert not model.is_loaded and model.stats().loads == 0
    assert model.chat(ASK, SHORT)
    stats = model.stats()
    assert model.is_loaded and stats.loads == 1
    assert stats.rss_after_load_bytes and stats.rss_after_load_bytes > 50 * 2**20
    assert (
        stats.rss_load_delta_bytes and stats.rss_load_delta_bytes > 10 * 2**20
    )  # weights are resident
    model.close()
    assert not model.is_loaded


def test_unloads_after_keep_alive_and_reloads_on_next_use(test_model_path: Path) -> None:
    model = resident(test_model_path, keep_alive_seconds=0.3)
    first = model.chat(ASK, SHORT)
    assert model.is_loaded
    assert wait_until(lambda: not model.is_loaded, timeout=5)
    assert model.stats().unloads == 1
    assert model.chat(ASK, SHORT) == first
    assert model.stats().loads == 2
    model.close()


def test_a_call_within_keep_alive_keeps_the_model(test_model_path: Path) -> None:
    model = resident(test_model_path, keep_alive_seconds=1.5)
    model.chat(ASK, SHORT)
    time.sleep(0.8)
    model.count_tokens("still here")  # resets the idle clock
    time.sleep(0.9)
    assert model.is_loaded and model.stats().unloads == 0
    model.close()


def test_caller_beyond_the_queue_bound_gets_busy_at_once(test_model_path: Path) -> None:
    model = resident(test_model_path, max_queue=0)
    holder = model.stream(ASK, GenerationParams(max_tokens=30))
    next(holder)  # holds the model mid-generation
    started = time.monotonic()
    refused = in_thread(lambda: model.chat(ASK, SHORT))
    assert isinstance(refused, Busy) and "busy" in str(refused)
    assert time.monotonic() - started < 0.5
    holder.close()  # giving up the stream frees the model
    assert model.chat(ASK, SHORT)
    assert model.stats().rejected == 1
    model.close()


def test_waiters_are_served_in_turn_and_the_next_one_is_refused(test_model_path: Path) -> None:
    model = resident(test_model_path, max_queue=1)
    expected = model.chat(ASK, SHORT)
    holder = model.stream(ASK, GenerationParams(max_tokens=30))
    next(holder)
    results: list[str] = []
    waiter = threading.Thread(target=lambda: results.append(model.chat(ASK, SHORT)))
    waiter.start()
    assert wait_until(lambda: model.stats().waiting == 1)
    assert isinstance(in_thread(lambda: model.chat(ASK, SHORT)), Busy)
    assert not results  # still waiting behind the holder
    list(holder)
    waiter.join(timeout=60)
    assert results == [expected]
    model.close()


def test_waiter_gives_up_after_queue_timeout(test_model_path: Path) -> None:
    model = resident(test_model_path, max_queue=2, queue_timeout_seconds=0.3)
    holder = model.stream(ASK, GenerationParams(max_tokens=30))
    next(holder)
    refused = in_thread(lambda: model.chat(ASK, SHORT))
    assert isinstance(refused, Busy) and "stayed busy" in str(refused)
    holder.close()
    assert model.stats().waiting == 0
    model.close()


def test_concurrent_callers_share_one_instance(test_model_path: Path) -> None:
    model = resident(test_model_path, max_queue=4)
    expected = model.chat(ASK, SHORT)
    out: list[str] = []
    threads = [
        threading.Thread(target=lambda: out.append(model.chat(ASK, SHORT))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert out == [expected] * 4
    assert model.stats().loads == 1
    model.close()


def test_the_holder_may_use_the_model_again_without_queueing(test_model_path: Path) -> None:
    model = resident(test_model_path, max_queue=0, queue_timeout_seconds=5)
    counts = [model.count_tokens(piece) for piece in model.stream(ASK, SHORT)]
    assert counts and model.stats().rejected == 0
    assert not model.stats().active  # fully released after the stream
    assert model.chat(ASK, SHORT)
    model.close()
