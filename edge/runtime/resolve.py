"""From settings to a ready ``ResidentModel``: which file or folder, which runtime.

``edge_model`` is a registered name (verified through the model store) or a path: a GGUF
file (verified against ``runtime.model_sha256`` when given) or an ONNX Runtime GenAI folder
(verified against its manifest when it has one). With ``runtime.backend = "onnx"`` and a
registered GGUF model, the converted folder from ``privsplit models convert`` is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from privsplit.edge.runtime.base import all_runtimes, create_runtime, runtime_for_format
from privsplit.edge.runtime.residency import ResidentModel
from privsplit.edge.runtime.settings import RuntimeSettings
from privsplit.shared.errors import ConfigError, ModelNotFound, ModelVerificationError
from privsplit.shared.logging import get_logger
from privsplit.shared.models import ModelStore
from privsplit.shared.models.manifest import MANIFEST, sha256_file, verify_folder

log = get_logger(__name__)
GENAI_CONFIG = "genai_config.json"


@dataclass(frozen=True)
class ResolvedModel:
    runtime: str  # registry name of the runtime
    path: Path  # GGUF file or ONNX folder, verified
    label: str  # registered name or the path's name (for logs and tables)


def _looks_like_path(ref: str) -> bool:
    return os.sep in ref or "/" in ref or ref.endswith(".gguf") or ref.startswith(("~", "."))


def _format_of(path: Path) -> str:
    if path.is_file() and path.suffix == ".gguf":
        return "gguf"
    if path.is_dir() and (path / GENAI_CONFIG).is_file():
        return "onnx"
    if not path.exists():
        raise ModelNotFound(f"model path does not exist: {path}")
    raise ConfigError(
        f"{path} is neither a .gguf file nor an ONNX Runtime GenAI folder (with {GENAI_CONFIG})"
    )


def _runtime_class(backend: str) -> type:
    known = all_runtimes()
    if backend not in known:
        raise ConfigError(
            f"unknown runtime.backend '{backend}'; valid: auto, {', '.join(sorted(known))}"
        )
    return known[backend]


def _pick_runtime(backend: str, model_format: str) -> str:
    if backend == "auto":
        return runtime_for_format(model_format)
    cls = _runtime_class(backend)
    if cls.model_format != model_format:
        raise ConfigError(
            f"runtime '{backend}' loads {cls.model_format} models, "
            f"but the configured model is {model_format}"
        )
    return backend


def _verify_custom(path: Path, model_format: str, settings: RuntimeSettings) -> None:
    if model_format == "gguf":
        if settings.model_sha256 is None:
            log.warning("custom_model_unpinned", model_format=model_format)
            return
        if sha256_file(path) != settings.model_sha256:
            raise ModelVerificationError(
                f"{path.name} does not match runtime.model_sha256; it will not be loaded"
            )
    elif (path / MANIFEST).is_file():
        verify_folder(path)
    else:
        log.warning("custom_model_unpinned", model_format=model_format)


def resolve_model(*, ref: str, settings: RuntimeSettings, store: ModelStore) -> ResolvedModel:
    """Find and verify the model for ``ref`` and pick its runtime; raise a typed error otherwise."""
    if settings.onnx_dir is not None and settings.backend in ("onnx", "auto"):
        path = Path(settings.onnx_dir).expanduser()
        if _format_of(path) != "onnx":
            raise ConfigError(f"runtime.onnx_dir is not an ONNX Runtime GenAI folder: {path}")
        _verify_custom(path, "onnx", settings)
        return ResolvedModel(
            runtime=_pick_runtime(settings.backend, "onnx"), path=path, label=path.name
        )
    if _looks_like_path(ref):
        path = Path(ref).expanduser()
        model_format = _format_of(path)
        runtime = _pick_runtime(settings.backend, model_format)
        _verify_custom(path, model_format, settings)
        return ResolvedModel(runtime=runtime, path=path, label=path.name)
    spec = store.registry.get(ref)  # unknown name: ModelNotFound listing the known ones
    if spec.runtime != "gguf":
        raise ConfigError(f"model '{ref}' is a {spec.runtime} model, not a language model")
    if settings.backend == "auto":
        return ResolvedModel(runtime=runtime_for_format("gguf"), path=store.path(ref), label=ref)
    model_format = _runtime_class(settings.backend).model_format
    path = store.path(ref) if model_format == "gguf" else store.onnx_path(ref)
    return ResolvedModel(
        runtime=_pick_runtime(settings.backend, model_format), path=path, label=ref
    )


def open_local_model(
    *, ref: str, settings: RuntimeSettings, store: ModelStore, seed: int = 42
) -> ResidentModel:
    """The shared, lazily loaded local model for the edge process (nothing is loaded yet).
    ``seed`` is the default sampling seed for calls whose params leave it at 0."""
    resolved = resolve_model(ref=ref, settings=settings, store=store)
    model = create_runtime(
        resolved.runtime,
        model_path=resolved.path,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        seed=seed,
    )
    log.info("local_model_configured", runtime=resolved.runtime, model=resolved.label)
    return ResidentModel(
        model=model,
        keep_alive_seconds=settings.keep_alive_seconds,
        max_queue=settings.max_queue,
        queue_timeout_seconds=settings.queue_timeout_seconds,
    )
