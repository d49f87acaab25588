"""Model backends behind one interface, kept in a registry by name."""

from privsplit.cloud.backends.base import (
    Backend,
    available_backends,
    backend_class,
    create_backend,
    register,
)

__all__ = ["Backend", "available_backends", "backend_class", "create_backend", "register"]
