"""A GGUF model in process via llama-cpp-python.

llama.cpp contexts are not thread-safe: each instance is guarded by exclusive ownership
(a free-instance queue), generation runs in a worker thread, and tokens are handed to the
event loop through an asyncio queue. Requests beyond ``max_queue`` waiting callers are
refused with ``Busy`` instead of piling up. ``close`` stops every generation in flight and
waits for its thread before the models are freed: freeing a model a thread still decodes
with crashes the process (seen when the gateway stopped mid-stream).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privsplit.cloud.backends.base import Backend, register
from privsplit.shared.errors import BackendError, Busy, DeadlineExceeded
from privsplit.shared.logging import get_logger
from privsplit.shared.models import ModelStore
from privsplit.shared.types import Chunk, CompletionRequest, Usage

if TYPE_CHECKING:
    from privsplit.cloud.settings import CloudSettings

log = get_logger(__name__)

try:
    import llama_cpp

    _AVAILABLE, _WHY = True, ""
except ImportError as exc:  # cloud-only install without the llamacpp extra
    llama_cpp = None  # type: ignore[assignment]
    _AVAILABLE, _WHY = (
        False,
        f"llama-cpp-python is not installed ({exc}); pip install 'privsplit[llamacpp]'",
    )

_DONE = object()


@register
class LlamaCppBackend(Backend):
    name = "llamacpp"
    is_available = _AVAILABLE
    unavailable_reason = _WHY

    def __init__(
        self,
        *,
        model_path: Path,
        model_name: str,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        instances: int = 1,
        max_queue: int = 64,
        chat_format: str | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.model_name = model_name
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.instances = instances
        self.max_queue = max_queue
        self.chat_format = chat_format
        self._free: asyncio.Queue[Any] | None = None
        self._waiting = 0
        self._all: list[Any] = []
        self._running: set[threading.Event] = set()  # the cancel flag of each generation
        # one generation thread per instance: the default executor would cap concurrency
        self._pool = ThreadPoolExecutor(max_workers=instances, thread_name_prefix="llamacpp")

    @classmethod
    def from_settings(cls, settings: CloudSettings) -> LlamaCppBackend:
        model = settings.model
        if Path(model).suffix == ".gguf" and Path(model).is_file():
            path, name = Path(model), Path(model).stem
        else:  # a registered name: resolved in the store and verified by sha256
            path, name = ModelStore(root=settings.models_dir).path(model), model
        return cls(
            model_path=path,
            model_name=name,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            instances=settings.instances,
            max_queue=settings.max_queue,
        )

    @property
    def queue_depth(self) -> int:
        return self._waiting

    async def start(self) -> None:
        self._free = asyncio.Queue()
        for _ in range(self.instances):
            llm = await asyncio.to_thread(self._load)
            self._all.append(llm)
            self._free.put_nowait(llm)
        log.info(
            "backend_started", backend=self.name, model=self.model_name, instances=self.instances
        )

    def _load(self) -> Any:
        return llama_cpp.Llama(
            model_path=str(self.model_path),
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            chat_format=self.chat_format,
            verbose=False,
        )

    async def close(self) -> None:
        for cancel in list(self._running):  # each thread stops at its next token
            cancel.set()
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
        for llm in self._all:
            llm.close()
        self._all.clear()

    def models(self) -> list[dict[str, Any]]:
        return [{"name": self.model_name, "context_length": self.n_ctx, "is_default": True}]

    async def complete(
        self, request: CompletionRequest, *, deadline: float | None = None
    ) -> AsyncIterator[Chunk]:
        assert self._free is not None, "backend not started"
        if self._waiting >= self.max_queue:
            raise Busy("model queue is full; retry later")
        self._waiting += 1
        try:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            llm = await asyncio.wait_for(self._free.get(), timeout)
        except TimeoutError:
            raise DeadlineExceeded(
                "deadline passed while waiting for a free model instance"
            ) from None
        finally:
            self._waiting -= 1
        try:
            async for chunk in self._generate(llm, request, deadline):
                yield chunk
        finally:
            self._free.put_nowait(llm)

    async def _generate(
        self, llm: Any, request: CompletionRequest, deadline: float | None
    ) -> AsyncIterator[Chunk]:
        loop = asyncio.get_running_loop()
        out: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()
        self._running.add(cancel)
        p = request.params

        def work() -> None:
            try:
                prompt_tokens = self._count_prompt_tokens(llm, request)
                stream = llm.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in request.messages],
                    max_tokens=p.max_tokens,
                    temperature=p.temperature,
                    top_p=p.top_p,
                    stop=list(p.stop) or None,
                    seed=p.seed or None,
                    stream=True,
                )
                completion_tokens = 0
                finish = None
                for part in stream:
                    if cancel.is_set() or (deadline is not None and time.monotonic() > deadline):
                        finish = "deadline" if not cancel.is_set() else "cancelled"
                        break
                    choice = part["choices"][0]
                    delta = choice.get("delta", {}).get("content") or ""
                    if delta:
                        completion_tokens += 1  # llama.cpp streams one token per chunk
                        loop.call_soon_threadsafe(out.put_nowait, delta)
                    finish = choice.get("finish_reason") or finish
                end = ("__end__", finish, prompt_tokens, completion_tokens)
                loop.call_soon_threadsafe(out.put_nowait, end)
            except Exception as exc:  # surfaced as BackendError, type only
                loop.call_soon_threadsafe(out.put_nowait, exc)

        thread_future = loop.run_in_executor(self._pool, work)
        try:
            while True:
                item = await out.get()
                if isinstance(item, Exception):
                    log.error(
                        "backend_generation_failed", backend=self.name, error=type(item).__name__
                    )
                    raise BackendError("model backend failed while generating")
                if isinstance(item, tuple) and item and item[0] == "__end__":
                    _, finish, prompt_tokens, n = item
                    if finish == "deadline":
                        raise DeadlineExceeded("deadline passed during generation")
                    yield Chunk(
                        text="",
                        finish_reason="length" if finish == "length" else "stop",
                        usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=n),
                    )
                    return
                yield Chunk(text=item)
        finally:
            cancel.set()
            self._running.discard(cancel)
            await thread_future

    @staticmethod
    def _count_prompt_tokens(llm: Any, request: CompletionRequest) -> int:
        text = "\n".join(m.content for m in request.messages)
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False))
