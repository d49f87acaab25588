"""The ``LocalModel`` interface and the runtime registry.

A local model is an owned resource: ``load()`` / ``close()`` or a ``with`` block. Calls are
blocking (run them off the event loop with ``asyncio.to_thread``); implementations guard a
model that is not thread-safe with a lock.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from privsplit.shared.errors import ConfigError
from privsplit.shared.types import GenerationParams, Message


class LocalModel(abc.ABC):
    name: ClassVar[str]  # runtime name in the registry, e.g. "llamacpp"
    is_available: ClassVar[bool]
    unavailable_reason: ClassVar[str] = ""
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
    def stream(self, messages: Sequence[Message], params: GenerationParams,
               *, json_schema: dict[str, Any] | None = None) -> Iterator[str]:
        """Yield text pieces of the assistant reply. ``json_schema`` constrains the output
        (llama.cpp grammars; llguidance in ONNX Runtime GenAI)."""

    def chat(self, messages: Sequence[Message], params: GenerationParams,
             *, json_schema: dict[str, Any] | None = None) -> str:
        return "".join(self.stream(messages, params, json_schema=json_schema))

    def __enter__(self) -> "LocalModel":
        self.load()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_REGISTRY: dict[str, type[LocalModel]] = {}
_BACKEND_MODULES = frozenset({"llamacpp", "onnx"})


def register_runtime(cls: type[LocalModel]) -> type[LocalModel]:
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    import importlib
    import pkgutil

    import privsplit.edge.runtime as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name in _BACKEND_MODULES:
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


def available_runtimes() -> dict[str, type[LocalModel]]:
    _load_builtin()
    return {n: c for n, c in _REGISTRY.items() if c.is_available}


def all_runtimes() -> dict[str, type[LocalModel]]:
    """Every known runtime, including those that cannot run here (see ``unavailable_reason``)."""
    _load_builtin()
    return dict(_REGISTRY)


def runtime_for_format(model_format: str) -> str:
    """The registry name of the first available runtime that loads ``model_format``."""
    _load_builtin()
    for name, cls in sorted(_REGISTRY.items()):
        if cls.model_format == model_format and cls.is_available:
            return name
    known = [f"{n} ({c.unavailable_reason})" for n, c in _REGISTRY.items() if c.model_format == model_format]
    raise ConfigError(f"no runtime here loads {model_format} models" + (f": {'; '.join(known)}" if known else ""))


def create_runtime(name: str, **kwargs: Any) -> LocalModel:
    _load_builtin()
    if name not in _REGISTRY:
        raise ConfigError(f"unknown runtime '{name}'; valid runtimes: {', '.join(sorted(_REGISTRY))}")
    cls = _REGISTRY[name]
    if not cls.is_available:
        raise ConfigError(f"runtime '{name}' cannot run here: {cls.unavailable_reason}")
    return cls(**kwargs)
