"""Running the blocking local model from async code, and bounded generation helpers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from privsplit.edge.runtime import LocalModel
from privsplit.shared.types import GenerationParams, Message

_DONE = object()


def local_params(max_tokens: int, seed: int) -> GenerationParams:
    """Deterministic local generation: temperature 0, fixed seed."""
    return GenerationParams(max_tokens=max_tokens, temperature=0.0, seed=seed)


def fit_to_context(model: LocalModel, text: str, budget_tokens: int) -> str:
    """``text`` cut (at the end) so that it takes at most ``budget_tokens`` tokens."""
    if budget_tokens <= 0:
        return ""
    if model.count_tokens(text) <= budget_tokens:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits
        mid = (lo + hi + 1) // 2
        if model.count_tokens(text[:mid]) <= budget_tokens:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


async def astream(
    model: LocalModel,
    messages: Sequence[Message],
    params: GenerationParams,
    *,
    json_schema: dict[str, Any] | None = None,
) -> AsyncIterator[str]:
    """The model's blocking ``stream`` run in a worker thread, yielded to the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            pieces: Iterator[str] = model.stream(messages, params, json_schema=json_schema)
            for piece in pieces:
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, piece)
            loop.call_soon_threadsafe(queue.put_nowait, _DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            loop.call_soon_threadsafe(queue.put_nowait, exc)

    worker = loop.run_in_executor(None, work)
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        await worker
