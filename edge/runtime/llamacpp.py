"""llama-cpp-python as a LocalModel.

Prefix reuse: llama-cpp-python keeps the KV state of the last prompt and, when the next prompt
starts with the same tokens, evaluates only the rest (the chunk map calls share their
instruction). ``reuse_prefix=False`` drops that state before every generation, so each call is
evaluated from scratch; greedy output is the same either way (tested).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from privsplit.edge.runtime.base import LocalModel, register_runtime
from privsplit.shared.errors import BackendError, InvalidRequest, ModelNotFound
from privsplit.shared.types import GenerationParams, Message

try:
    import llama_cpp

    _AVAILABLE, _WHY = True, ""
except ImportError as exc:
    llama_cpp = None  # type: ignore[assignment]
    _AVAILABLE, _WHY = False, f"llama-cpp-python is not installed ({exc})"


@register_runtime
class LlamaCppModel(LocalModel):
    name = "llamacpp"
    is_available = _AVAILABLE
    unavailable_reason = _WHY
    model_format = "gguf"
    supports_logprobs = _AVAILABLE

    def __init__(
        self,
        *,
        model_path: Path,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_threads_batch: int | None = None,
        seed: int = 42,
        reuse_prefix: bool = True,
    ) -> None:
        self.model_path = Path(model_path)
        self.reuse_prefix = reuse_prefix
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        # prompt evaluation: n_threads unless given apart (llama.cpp's default is every core,
        # which spins on a busy machine: a setting of 1 thread must mean 1 thread)
        self.n_threads_batch = n_threads_batch if n_threads_batch is not None else n_threads
        self.seed = seed
        self._llm: Any = None
        self._generating = False
        self._lock = threading.RLock()  # re-entrant: count_tokens while a stream runs

    def load(self) -> None:
        with self._lock:
            if self._llm is None:
                if not self.model_path.is_file():
                    raise ModelNotFound(f"GGUF model file not found: {self.model_path}")
                try:
                    self._llm = llama_cpp.Llama(
                        model_path=str(self.model_path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        n_threads_batch=self.n_threads_batch,
                        seed=self.seed,
                        verbose=False,
                    )
                except ValueError:  # llama.cpp could not read the file as a model
                    raise BackendError(
                        f"llama.cpp could not load {self.model_path.name}: "
                        "not a valid GGUF model for this llama.cpp build"
                    ) from None

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    @property
    def is_loaded(self) -> bool:
        return self._llm is not None

    @property
    def context_length(self) -> int:
        return self.n_ctx

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        json_schema: dict[str, Any] | None = None,
        logprobs: list[float] | None = None,
    ) -> Iterator[str]:
        self.check_options(params, json_schema, logprobs)
        self.load()
        # the message texts alone already overflowing is certain; the template adds the rest
        if sum(self.count_tokens(m.content) for m in messages) >= self.n_ctx:
            raise InvalidRequest(f"prompt does not fit the context window of {self.n_ctx} tokens")
        response_format = {"type": "json_object", "schema": json_schema} if json_schema else None
        with self._lock:  # one generation at a time per llama.cpp context
            if self._generating:
                raise BackendError("a llama.cpp model cannot start a generation inside another one")
            self._generating = True
            if not self.reuse_prefix:
                self._llm.reset()  # no KV state carried over: the whole prompt is evaluated
            try:
                parts = self._llm.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    max_tokens=params.max_tokens,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    stop=list(params.stop) or None,
                    seed=params.seed or self.seed,
                    response_format=response_format,
                    logits_processor=_greedy_logprobs(logprobs) if logprobs is not None else None,
                    stream=True,
                )
                for part in parts:
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except ValueError:  # llama-cpp-python raises ValueError when the prompt overflows
                raise InvalidRequest(
                    f"prompt does not fit the context window of {self.n_ctx} tokens "
                    "(or the JSON schema could not be turned into a grammar)"
                ) from None
            finally:
                self._generating = False


def _greedy_logprobs(out: list[float]) -> Any:
    """A logits processor that appends the greedy token's log-probability to ``out`` and
    leaves the logits unchanged (it runs before the sampler; greedy picks the arg-max)."""

    def record(_input_ids: Any, scores: Any) -> Any:
        top = float(scores.max())
        out.append(-float(np.log(np.exp(scores - top).sum())))  # top - logsumexp(scores)
        return scores

    return llama_cpp.LogitsProcessorList([record])
