"""llama-cpp-python as a LocalModel."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from privsplit.edge.runtime.base import LocalModel, register_runtime
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

    def __init__(self, *, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None,
                 seed: int = 42) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self._llm: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._llm is None:
                self._llm = llama_cpp.Llama(model_path=str(self.model_path), n_ctx=self.n_ctx,
                                            n_threads=self.n_threads, seed=self.seed, verbose=False)

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    @property
    def context_length(self) -> int:
        return self.n_ctx

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def stream(self, messages: Sequence[Message], params: GenerationParams,
               *, json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        self.load()
        response_format = {"type": "json_object", "schema": json_schema} if json_schema else None
        with self._lock:  # one generation at a time per llama.cpp context
            for part in self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=params.max_tokens, temperature=params.temperature, top_p=params.top_p,
                stop=list(params.stop) or None, seed=params.seed or self.seed,
                response_format=response_format, stream=True,
            ):
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta
