"""Model backends behind one interface, kept in a registry by name."""

from privsplit.cloud.backends.base import (
    Backend,
    backend_class,
    create_backend,
    register,
)

__all__ = ["Backend", "backend_class", "create_backend", "register"]
