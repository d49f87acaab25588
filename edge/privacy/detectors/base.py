"""The detector interface and registry (see STYLE.md: backends keyed by name).

A detector class declares ``name`` and ``is_available``; the registry keeps all classes and
``create_detector`` refuses an unknown name with the list of valid names.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar

from privsplit.edge.privacy.spans import Span
from privsplit.shared.errors import ConfigError


class Detector(abc.ABC):
    name: ClassVar[str]
    is_available: ClassVar[bool] = True
    unavailable_reason: ClassVar[str] = ""

    @abc.abstractmethod
    def detect(self, text: str) -> list[Span]:
        """Spans found in ``text``, by offsets."""

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        """Override when the detector batches (spaCy's nlp.pipe)."""
        return [self.detect(t) for t in texts]


_REGISTRY: dict[str, type[Detector]] = {}


def register_detector(cls: type[Detector]) -> type[Detector]:
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    import importlib
    import pkgutil

    import privsplit.edge.privacy.detectors as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name != "base":
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


def available_detectors() -> dict[str, type[Detector]]:
    _load_builtin()
    return {n: c for n, c in _REGISTRY.items() if c.is_available}


def create_detector(name: str, **kwargs: Any) -> Detector:
    _load_builtin()
    if name not in _REGISTRY:
        raise ConfigError(f"unknown detector '{name}'; valid detectors: {', '.join(sorted(_REGISTRY))}")
    cls = _REGISTRY[name]
    if not cls.is_available:
        raise ConfigError(f"detector '{name}' cannot run here: {cls.unavailable_reason}")
    return cls(**kwargs)
