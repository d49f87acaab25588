"""The model registry and the local store of verified model files."""

from privsplit.shared.models.registry import ModelSpec, Registry, SourceSpec, load_registry
from privsplit.shared.models.store import ModelStore

__all__ = ["ModelSpec", "Registry", "SourceSpec", "load_registry", "ModelStore"]
