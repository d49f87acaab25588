"""The model registry and the local store of verified model files."""

from privsplit.shared.models.registry import (
    ModelSpec,
    OnnxConversion,
    Registry,
    SourceSpec,
    load_registry,
)
from privsplit.shared.models.store import ModelInfo, ModelStore

__all__ = [
    "ModelSpec",
    "OnnxConversion",
    "Registry",
    "SourceSpec",
    "load_registry",
    "ModelInfo",
    "ModelStore",
]
