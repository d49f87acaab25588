"""A registry of implementations keyed by name (detectors, local runtimes, cloud backends).

Each implementation class declares ``name``, ``is_available`` (can it run here: is its library
installed?) and ``unavailable_reason``. The registry keeps every class; looking up an unknown
name is an error that lists the valid names, and an unavailable one says why. Built-in
implementations register themselves when their module is imported; the registry imports
``modules`` of ``package`` on first use, so callers never need to.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from privsplit.shared.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, *, kind: str, package: str, modules: Iterable[str]) -> None:
        self.kind = kind
        self._package = package
        self._modules = tuple(modules)
        self._classes: dict[str, type[T]] = {}
        self._loaded = False

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: ``@registry.register``."""
        self._classes[cls.name] = cls  # type: ignore[attr-defined]
        return cls

    def _load(self) -> None:
        if not self._loaded:
            for module in self._modules:
                importlib.import_module(f"{self._package}.{module}")
            self._loaded = True

    def all(self) -> dict[str, type[T]]:
        """Every known implementation, including those that cannot run here."""
        self._load()
        return dict(self._classes)

    def available(self) -> dict[str, type[T]]:
        return {n: c for n, c in self.all().items() if c.is_available}  # type: ignore[attr-defined]

    def get(self, name: str) -> type[T]:
        classes = self.all()
        if name not in classes:
            raise ConfigError(
                f"unknown {self.kind} '{name}'; valid {self.kind}s: {', '.join(sorted(classes))}"
            )
        cls = classes[name]
        if not cls.is_available:  # type: ignore[attr-defined]
            raise ConfigError(f"{self.kind} '{name}' cannot run here: {cls.unavailable_reason}")  # type: ignore[attr-defined]
        return cls

    def create(self, name: str, **kwargs: Any) -> T:
        return self.get(name)(**kwargs)
