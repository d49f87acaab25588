"""Model residency: load the edge model on first use, unload it after an idle keep-alive.

``ResidentModel`` wraps the pipeline's ``LocalModel``; every request shares the one instance
(the runtime serializes generation with its own lock). ``release_if_idle`` closes it when no
call is running and none finished within ``keep_alive_seconds``; the next call loads it again.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from privsplit.edge.runtime import LocalModel
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams, Message

log = get_logger(__name__)


class ResidentModel(LocalModel):
    name = "resident"
    is_available = True

    def __init__(self, *, inner: LocalModel, keep_alive_seconds: float) -> None:
        self.inner = inner
        self.keep_alive_seconds = keep_alive_seconds
        self._lock = threading.Lock()
        self._active = 0
        self._loaded = False
        self._last_used = time.monotonic()
        self.loads = 0

    @property
    def loaded(self) -> bool:
        return self._loaded

    def _enter(self) -> None:
        with self._lock:
            self._active += 1
            if not self._loaded:
                started = time.perf_counter()
                try:
                    self.inner.load()
                except BaseException:
                    self._active -= 1
                    raise
                self._loaded = True
                self.loads += 1
                log.info("edge_model_loaded", seconds=round(time.perf_counter() - started, 3))

    def _exit(self) -> None:
        with self._lock:
            self._active -= 1
            self._last_used = time.monotonic()

    def load(self) -> None:
        self._enter()
        self._exit()

    def close(self) -> None:
        with self._lock:
            if self._loaded:
                self.inner.close()
                self._loaded = False

    def release_if_idle(self) -> bool:
        """Unload when idle past the keep-alive; True when it did."""
        with self._lock:
            idle = time.monotonic() - self._last_used
            if not self._loaded or self._active or idle < self.keep_alive_seconds:
                return False
            self.inner.close()
            self._loaded = False
        log.info("edge_model_unloaded", idle_seconds=round(idle, 1))
        return True

    @property
    def context_length(self) -> int:
        return self.inner.context_length

    def count_tokens(self, text: str) -> int:
        self._enter()
        try:
            return self.inner.count_tokens(text)
        finally:
            self._exit()

    def stream(self, messages: Sequence[Message], params: GenerationParams,
               *, json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        self._enter()
        try:
            yield from self.inner.stream(messages, params, json_schema=json_schema)
        finally:
            self._exit()

    async def run_reaper(self, interval_seconds: float) -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            await asyncio.to_thread(self.release_if_idle)
