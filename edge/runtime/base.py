"""The ``LocalModel`` interface and the runtime registry.

A local model is an owned resource: ``load()`` / ``close()`` or a ``with`` block. Calls are
blocking (run them off the event loop with ``asyncio.to_thread``); implementations guard a
model that is not thread-safe with a lock.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from privsplit.shared.errors import ConfigError, InvalidRequest
from privsplit.shared.registry import Registry
from privsplit.shared.types import GenerationParams, Message


class LocalModel(abc.ABC):
    name: ClassVar[str]  # runtime name in the registry, e.g. "llamacpp"
    is_available: ClassVar[bool]
    unavailable_reason: ClassVar[str] = ""
    # whether ``stream(logprobs=[...])`` reports each generated token's log-probability
    supports_logprobs: ClassVar[bool] = False
    model_format: ClassVar[str] = ""  # what it loads: "gguf" (a file) or "onnx" (a folder)

    @property
    @abc.abstractmethod
    def is_loaded(self) -> bool: ...

    @abc.abstractmethod
    def load(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def context_length(self) -> int: ...

    @abc.abstractmethod
    def count_tokens(self, text: str) -> int: ...

    @abc.abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        json_schema: dict[str, Any] | None = None,
        logprobs: list[float] | None = None,
    ) -> Iterator[str]:
        """Yield text pieces of the assistant reply. ``json_schema`` constrains the output
        (llama.cpp grammars; llguidance in ONNX Runtime GenAI). With a ``logprobs`` list, the
        natural log-probability of each generated token (the end-of-text token included) is
        appended to it as generation proceeds; only runtimes with ``supports_logprobs`` do
        this, and only for greedy decoding (temperature 0, no schema): others raise
        ``InvalidRequest``."""

    def chat(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        json_schema: dict[str, Any] | None = None,
        logprobs: list[float] | None = None,
    ) -> str:
        return "".join(self.stream(messages, params, json_schema=json_schema, logprobs=logprobs))

    def check_options(
        self,
        params: GenerationParams,
        json_schema: dict[str, Any] | None,
        logprobs: list[float] | None,
    ) -> None:
        """Refuse what ``stream`` cannot honour, before it loads or generates anything: a
        ``json_schema`` that is not a dict, or ``logprobs`` (``check_logprobs``)."""
        if json_schema is not None and not isinstance(json_schema, dict):
            raise InvalidRequest("json_schema must be a JSON Schema object (a dict)")
        self.check_logprobs(params, json_schema, logprobs)

    def check_logprobs(
        self,
        params: GenerationParams,
        json_schema: dict[str, Any] | None,
        logprobs: list[float] | None,
    ) -> None:
        """Refuse a ``logprobs`` request this runtime cannot honour (clear error, not ignored)."""
        if logprobs is None:
            return
        if not self.supports_logprobs:
            raise InvalidRequest(f"the {self.name} runtime does not report token log-probabilities")
        if params.temperature != 0 or json_schema is not None:
            raise InvalidRequest(
                "token log-probabilities are reported for greedy decoding only "
                "(temperature 0, no JSON schema)"
            )

    def __enter__(self) -> LocalModel:
        self.load()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


RUNTIMES: Registry[LocalModel] = Registry(
    kind="runtime", package="privsplit.edge.runtime", modules=("llamacpp", "onnx")
)
register_runtime = RUNTIMES.register


def available_runtimes() -> dict[str, type[LocalModel]]:
    return RUNTIMES.available()


def all_runtimes() -> dict[str, type[LocalModel]]:
    """Every known runtime, including those that cannot run here (see ``unavailable_reason``)."""
    return RUNTIMES.all()


def runtime_for_format(model_format: str) -> str:
    """The registry name of the first available runtime that loads ``model_format``."""
    runtimes = RUNTIMES.all()
    for name, cls in sorted(runtimes.items()):
        if cls.model_format == model_format and cls.is_available:
            return name
    known = [
        f"{n} ({c.unavailable_reason})"
        for n, c in runtimes.items()
        if c.model_format == model_format
    ]
    raise ConfigError(
        f"no runtime here loads {model_format} models" + (f": {'; '.join(known)}" if known else "")
    )


def create_runtime(name: str, **kwargs: Any) -> LocalModel:
    return RUNTIMES.create(name, **kwargs)
