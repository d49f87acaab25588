"""The backend interface and its registry.

A backend class declares ``name`` and ``is_available`` (can it run here: is its library
installed?). The registry keeps every class; ``create_backend`` refuses an unknown name with
the list of valid ones, and an unavailable one with the reason.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from privsplit.shared.registry import Registry
from privsplit.shared.types import Chunk, CompletionRequest

if TYPE_CHECKING:
    from privsplit.cloud.settings import CloudSettings


class Backend(abc.ABC):
    name: ClassVar[str]
    is_available: ClassVar[bool]
    unavailable_reason: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: CloudSettings) -> Backend:
        """Build from ``CloudSettings`` (each backend reads its own fields/section)."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Load models / open connection pools."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release everything ``start`` acquired."""

    @property
    def queue_depth(self) -> int:
        """Requests waiting for the model (exported as a metric)."""
        return 0

    @property
    def default_model(self) -> str:
        return next((m["name"] for m in self.models() if m.get("is_default")), "")

    @abc.abstractmethod
    def models(self) -> list[dict[str, Any]]:
        """[{"name", "context_length", "is_default"}]"""

    @abc.abstractmethod
    def complete(
        self, request: CompletionRequest, *, deadline: float | None = None
    ) -> AsyncIterator[Chunk]:
        """Stream the completion; the last chunk carries finish_reason and usage.

        ``deadline`` is an absolute ``time.monotonic()`` value; past it the backend stops.
        """

    async def __aenter__(self) -> Backend:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


BACKENDS: Registry[Backend] = Registry(
    kind="backend", package="privsplit.cloud.backends", modules=("llamacpp", "openai_compat")
)
register = BACKENDS.register


def backend_class(name: str) -> type[Backend]:
    """The class registered as ``name``; refuses an unknown or unavailable one clearly."""
    return BACKENDS.get(name)


def create_backend(name: str, **kwargs: Any) -> Backend:
    return backend_class(name)(**kwargs)
