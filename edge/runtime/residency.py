"""Residency: one shared model instance, loaded on first use, unloaded when idle.

``ResidentModel`` wraps a ``LocalModel`` and is one itself, so callers do not change. One call
runs at a time (local runtimes are not re-entrant and a 2-core device gains nothing from
interleaving); up to ``max_queue`` further callers wait their turn, in order; one more gets a
``Busy`` error at once, and a waiter that is not served within ``queue_timeout_seconds`` gets
``Busy`` too. The thread that holds the model may use it again meanwhile (count tokens while
it streams) without queueing behind itself. After ``keep_alive_seconds`` without a caller the model is closed (its memory
returned) and loaded again on the next use. Resident memory (RSS) after each load is recorded.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from privsplit.edge.runtime.base import LocalModel
from privsplit.shared.errors import BackendError, Busy
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams, Message

log = get_logger(__name__)


def current_rss_bytes() -> int:
    """Resident set size of this process now (Linux: /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


@dataclass(frozen=True)
class ResidencyStats:
    loaded: bool
    loads: int
    unloads: int
    active: bool
    waiting: int
    rejected: int
    load_ms: float | None
    rss_after_load_bytes: int | None
    rss_load_delta_bytes: int | None


class ResidentModel(LocalModel):
    name = "resident"
    is_available = True

    def __init__(
        self,
        *,
        model: LocalModel,
        keep_alive_seconds: float = 300.0,
        max_queue: int = 8,
        queue_timeout_seconds: float = 120.0,
    ) -> None:
        if keep_alive_seconds < 0 or max_queue < 0 or queue_timeout_seconds <= 0:
            raise ValueError(
                "keep_alive_seconds and max_queue must be >= 0, queue_timeout_seconds > 0"
            )
        self.model = model
        self.model_format = model.model_format
        self.supports_logprobs = model.supports_logprobs
        self.keep_alive_seconds = keep_alive_seconds
        self.max_queue = max_queue
        self.queue_timeout_seconds = queue_timeout_seconds
        self._cond = threading.Condition()
        self._active = False
        self._owner: int | None = (
            None  # thread holding the model; it may re-enter (count tokens mid-stream)
        )
        self._depth = 0
        self._queue: deque[object] = deque()  # tickets of waiting callers, first come first served
        self._timer: threading.Timer | None = None
        self._last_release = time.monotonic()
        self._loads = self._unloads = self._rejected = 0
        self._load_ms: float | None = None
        self._rss_after: int | None = None
        self._rss_delta: int | None = None

    # -- admission --------------------------------------------------------------------
    @contextmanager
    def _slot(self) -> Iterator[LocalModel]:
        self._acquire()
        try:
            self._ensure_loaded()
            yield self.model
        finally:
            self._release()

    def _acquire(self) -> None:
        with self._cond:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            me = threading.get_ident()
            if self._active and self._owner == me:
                self._depth += 1
                return
            if not self._active and not self._queue:
                self._active, self._owner = True, me
                return
            if len(self._queue) >= self.max_queue:
                self._rejected += 1
                log.warning("model_busy", waiting=len(self._queue), max_queue=self.max_queue)
                raise Busy(
                    f"the local model is busy ({len(self._queue)} callers waiting, limit "
                    f"{self.max_queue}); retry later"
                )
            ticket = object()
            self._queue.append(ticket)
            served = self._cond.wait_for(
                lambda: not self._active and self._queue[0] is ticket,
                timeout=self.queue_timeout_seconds,
            )
            self._queue.remove(ticket)
            if not served:
                self._rejected += 1
                self._cond.notify_all()
                self._schedule_unload()
                raise Busy(
                    f"the local model stayed busy for {self.queue_timeout_seconds:g} s; retry later"
                )
            self._active, self._owner = True, me

    def _release(self) -> None:
        with self._cond:
            if self._depth:
                self._depth -= 1
                return
            self._active, self._owner = False, None
            self._last_release = time.monotonic()
            self._cond.notify_all()
            self._schedule_unload()

    def _schedule_unload(self) -> None:  # holds self._cond
        if self._active or self._queue or not self.model.is_loaded:
            return
        if self.keep_alive_seconds == 0:
            self._unload()
            return
        self._timer = threading.Timer(self.keep_alive_seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._cond:
            idle = time.monotonic() - self._last_release
            if not self._active and not self._queue and idle >= self.keep_alive_seconds * 0.999:
                self._unload()

    def _unload(self) -> None:  # holds self._cond
        if self.model.is_loaded:
            self.model.close()
            self._unloads += 1
            log.info(
                "model_unloaded",
                runtime=self.model.name,
                idle_s=round(time.monotonic() - self._last_release, 2),
            )

    def _ensure_loaded(self) -> None:  # holds the slot
        if self.model.is_loaded:
            return
        before = current_rss_bytes()
        start = time.perf_counter()
        self.model.load()
        self._load_ms = round((time.perf_counter() - start) * 1000, 1)
        self._rss_after = current_rss_bytes()
        self._rss_delta = self._rss_after - before
        self._loads += 1
        log.info(
            "model_loaded",
            runtime=self.model.name,
            load_ms=self._load_ms,
            rss_bytes=self._rss_after,
        )

    # -- LocalModel -------------------------------------------------------------------
    def load(self) -> None:
        with self._slot():
            pass

    def close(self) -> None:
        """Unload now, after the current call ends (waiting callers load it again)."""
        with self._cond:
            if self._active and self._owner == threading.get_ident():
                raise BackendError(
                    "close() called by the thread that is using the model; finish the call first"
                )
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._cond.wait_for(lambda: not self._active)
            self._unload()

    @property
    def is_loaded(self) -> bool:
        return self.model.is_loaded

    @property
    def context_length(self) -> int:
        return self.model.context_length

    def count_tokens(self, text: str) -> int:
        with self._slot() as model:
            return model.count_tokens(text)

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        json_schema: dict[str, Any] | None = None,
        logprobs: list[float] | None = None,
    ) -> Iterator[str]:
        """A generator: it takes its turn (or raises ``Busy``) at the first ``next()`` and
        gives the model back when exhausted or closed."""
        with self._slot() as model:
            yield from model.stream(messages, params, json_schema=json_schema, logprobs=logprobs)

    def stats(self) -> ResidencyStats:
        with self._cond:
            return ResidencyStats(
                loaded=self.model.is_loaded,
                loads=self._loads,
                unloads=self._unloads,
                active=self._active,
                waiting=len(self._queue),
                rejected=self._rejected,
                load_ms=self._load_ms,
                rss_after_load_bytes=self._rss_after,
                rss_load_delta_bytes=self._rss_delta,
            )
