"""ONNX Runtime GenAI as a LocalModel.

Loads a GenAI model folder (``genai_config.json`` + ``model.onnx`` + tokenizer files), for
example one made by ``privsplit models convert NAME --to onnx``. The prompt is built with the
model's own chat template; stop sequences are applied to the text stream; JSON schemas are
enforced with the runtime's guidance (llguidance) when the build has it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from privsplit.edge.runtime.base import LocalModel, register_runtime
from privsplit.edge.runtime.stops import cut_at_stops
from privsplit.shared.errors import BackendError, InvalidRequest, ModelNotFound
from privsplit.shared.types import GenerationParams, Message

try:
    import onnxruntime_genai as og

    og.disable_telemetry_events()  # an edge device makes no calls of its own
    _AVAILABLE, _WHY = True, ""
except ImportError as exc:
    og = None  # type: ignore[assignment]
    _AVAILABLE, _WHY = (
        False,
        f"onnxruntime-genai is not installed ({exc}); pip install 'privsplit[onnx]'",
    )

GENAI_CONFIG = "genai_config.json"
# llama-cpp-python's default for chat completions; keeps sampling comparable across backends
_TOP_K = 40
# llguidance lets a JSON schema's output carry any whitespace, and small models then emit
# newlines until max_tokens; fixed separators (like llama.cpp's JSON grammar) avoid that
_COMPACT_JSON = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}


@register_runtime
class OnnxGenAIModel(LocalModel):
    name = "onnx"
    is_available = _AVAILABLE
    unavailable_reason = _WHY
    model_format = "onnx"

    def __init__(
        self, *, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None, seed: int = 42
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self._model: Any = None
        self._tokenizer: Any = None
        self._model_ctx = n_ctx
        self._lock = threading.RLock()  # re-entrant: count_tokens while a stream runs

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            config_file = self.model_path / GENAI_CONFIG
            if not config_file.is_file():
                raise ModelNotFound(
                    f"not an ONNX Runtime GenAI model folder (no {GENAI_CONFIG}): {self.model_path}"
                )
            try:
                declared = json.loads(config_file.read_text())["model"]["context_length"]
                config = og.Config(str(self.model_path))
                if self.n_threads:
                    config.overlay(
                        json.dumps(
                            {
                                "model": {
                                    "decoder": {
                                        "session_options": {"intra_op_num_threads": self.n_threads}
                                    }
                                }
                            }
                        )
                    )
                model = og.Model(config)
                tokenizer = og.Tokenizer(model)
            except (RuntimeError, KeyError, ValueError) as exc:
                raise BackendError(
                    f"onnxruntime-genai could not load {self.model_path.name} "
                    f"({type(exc).__name__})"
                ) from None
            self._model, self._tokenizer = model, tokenizer
            self._model_ctx = min(self.n_ctx, int(declared))

    def close(self) -> None:
        with self._lock:
            self._model = self._tokenizer = None  # the native objects free on release

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    @property
    def context_length(self) -> int:
        return self._model_ctx

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._tokenizer.encode(text))

    def _prompt_ids(self, messages: Sequence[Message]) -> Any:
        payload = json.dumps([{"role": m.role, "content": m.content} for m in messages])
        try:
            prompt = self._tokenizer.apply_chat_template(payload, add_generation_prompt=True)
        except RuntimeError:
            raise BackendError(
                f"model {self.model_path.name} has no usable chat template"
            ) from None
        return self._tokenizer.encode(prompt)

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        json_schema: dict[str, Any] | None = None,
        logprobs: list[float] | None = None,
    ) -> Iterator[str]:
        self.check_options(params, json_schema, logprobs)  # logprobs: refused clearly
        self.load()
        return cut_at_stops(self._generate(messages, params, json_schema), params.stop)

    def _generate(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        json_schema: dict[str, Any] | None,
    ) -> Iterator[str]:
        with self._lock:  # one generation at a time per model
            model, tokenizer = self._model, self._tokenizer
            if model is None:
                raise BackendError("model was closed")
            ids = self._prompt_ids(messages)
            if len(ids) >= self._model_ctx:
                raise InvalidRequest(
                    f"prompt does not fit the context window of {self._model_ctx} tokens"
                )
            gp = og.GeneratorParams(model)
            sampling = params.temperature > 0
            options: dict[str, Any] = {
                "max_length": min(len(ids) + params.max_tokens, self._model_ctx),
                "do_sample": sampling,
            }
            if sampling:
                options.update(
                    temperature=params.temperature,
                    top_p=params.top_p,
                    top_k=_TOP_K,
                    random_seed=params.seed or self.seed,
                )
            gp.set_search_options(**options)
            if json_schema:
                try:
                    gp.set_guidance(
                        "json_schema", json.dumps({"x-guidance": _COMPACT_JSON, **json_schema})
                    )
                except RuntimeError:
                    raise InvalidRequest(
                        "the JSON schema could not be used for guided generation"
                    ) from None
            generator = og.Generator(model, gp)
            generator.append_tokens(ids)
            decoder = tokenizer.create_stream()
            while not generator.is_done():
                generator.generate_next_token()
                piece = decoder.decode(generator.get_next_tokens()[0])
                if piece:
                    yield piece
