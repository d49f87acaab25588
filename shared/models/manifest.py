"""Integrity manifests for model folders (ONNX Runtime GenAI models made by ``convert``).

A converted folder is a set of files; its manifest pins the sha256 and size of each one and
the sha256 of the source model it was made from. ``verify_folder`` fails on any changed,
missing or unexpected file, so a folder is checked as strictly as a single GGUF file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from privsplit.shared.errors import ModelNotFound, ModelVerificationError

MANIFEST = "privsplit-manifest.json"
CHUNK = 1 << 20

Progress = Callable[[str, int, int | None], None]


def _quiet(_d: str, _n: int, _t: int | None) -> None:
    return None


def sha256_file(
    path: Path,
    progress: Progress = _quiet,
    *,
    label: str = "verify",
    offset: int = 0,
    total: int | None = None,
) -> str:
    digest = hashlib.sha256()
    total = total if total is not None else path.stat().st_size
    done = offset
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            progress(label, done, total)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(folder: Path, *, source_sha256: str, details: dict[str, str]) -> Path:
    files = {}
    for path in _files(folder):
        files[path.relative_to(folder).as_posix()] = {
            "sha256": sha256_file(path),
            "size": path.stat().st_size,
        }
    out = folder / MANIFEST
    out.write_text(
        json.dumps(
            {"format": 1, "source_sha256": source_sha256, **details, "files": files},
            indent=1,
            sort_keys=True,
        )
    )
    return out


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise ModelNotFound(
            f"{folder} has no {MANIFEST}; it was not made by privsplit models convert"
        )
    try:
        data = json.loads(path.read_text())
        if not isinstance(data.get("files"), dict):
            raise ValueError
        return data
    except ValueError:
        raise ModelVerificationError(
            f"the manifest of {folder.name} is damaged; it will not be loaded. Convert again."
        ) from None


def verify_folder(folder: Path, progress: Progress = _quiet) -> dict:
    """Check every file of ``folder`` against its manifest; return the manifest."""
    manifest = read_manifest(folder)
    expected: dict[str, dict] = manifest["files"]
    present = {p.relative_to(folder).as_posix(): p for p in _files(folder)}
    problems = [f"missing {n}" for n in sorted(set(expected) - set(present))]
    problems += [f"unexpected {n}" for n in sorted(set(present) - set(expected))]
    total = sum(int(e.get("size", 0)) for e in expected.values())
    done = 0
    for name, entry in sorted(expected.items()):
        path = present.get(name)
        if path is None:
            continue
        if path.stat().st_size != entry.get("size"):
            problems.append(f"size of {name}")
        elif sha256_file(path, progress, offset=done, total=total) != entry.get("sha256"):
            problems.append(f"sha256 of {name}")
        done += int(entry.get("size", 0))
    if problems:
        raise ModelVerificationError(
            f"model folder {folder.name} failed verification ({', '.join(problems[:5])}); "
            "it will not be loaded. Remove it and convert again."
        )
    return manifest
