"""The ``runtime`` section of the edge settings (PRIVSPLIT_EDGE_RUNTIME__*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class RuntimeSettings(BaseModel):
    """How the local model runs: backend, threads, context, residency and queueing."""

    model_config = ConfigDict(extra="forbid")

    backend: str = Field(
        default="auto",
        description=(
            "Runtime by registry name ('llamacpp', 'onnx'), or 'auto': a GGUF file runs on llama.cpp, "
            "an ONNX Runtime GenAI folder on onnx. With 'onnx' and a registered GGUF model, the "
            "converted folder made by `privsplit models convert NAME --to onnx` is used."
        ),
    )
    n_ctx: int = Field(
        default=4096,
        ge=256,
        le=131072,
        description="Context window in tokens (prompt + completion).",
    )
    n_threads: int | None = Field(
        default=None,
        ge=1,
        le=512,
        description="CPU threads for inference (generation and prompt evaluation); empty "
        "lets the runtime choose.",
    )
    keep_alive_seconds: float = Field(
        default=300.0,
        ge=0,
        description=(
            "Unload the model after this many idle seconds (0 unloads right after each call); "
            "it is loaded again on the next use."
        ),
    )
    max_queue: int = Field(
        default=8,
        ge=0,
        le=1024,
        description=(
            "Callers that may wait while the model is busy; one more gets a Busy error at once."
        ),
    )
    queue_timeout_seconds: float = Field(
        default=120.0, gt=0, description=("Longest wait for the model before a Busy error.")
    )
    model_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description=(
            "For a custom model path (GGUF file): its pinned sha256; the file is verified before "
            "loading and refused on mismatch."
        ),
    )
    onnx_dir: Path | None = Field(
        default=None,
        description=(
            "Custom ONNX Runtime GenAI model folder (overrides edge_model for the onnx backend)."
        ),
    )
