"""A private on-disk cache for the term pass's derived vocabularies: built once, checked on
every read.

Some vocabularies cost seconds of CPU to derive in every process (wordfreq's frequency lists
become dictionaries at 0.1-0.4 s per language; the drug-name allow-list is ~1.3 s of unpickling
and filtering), yet depend only on installed packages. ``load(name, key, build)`` returns the
bytes ``build()`` would return, from a file when a valid one is there.

Contract:

- The directory is ``<user cache dir>/privsplit/vocab`` (``set_directory`` moves it), created
  0700. One that is not this user's, or that group or others can access, is not used: the
  vocabularies are then built in memory in every process (a warning says why, once).
- A file is written 0600 to a private temporary file, synced, and renamed into place, so a
  reader sees a whole file or none; two processes building the same entry both write a
  valid file and the last rename wins.
- A file is used only if it is a regular file (not a symbolic link) of this user with mode
  0600 or stricter, starts with the format's magic, was built for the same ``key`` (the
  source files' sizes and times, the package versions, the rule's parameters: whatever the
  bytes are derived from) and its SHA-256 over header and payload matches. Anything else
  (truncated, edited, another user's, built from other sources) is rebuilt and replaced,
  never read: an allow-list edited by someone else could keep a word from being hidden.
- The files hold public vocabularies only, never text from a request.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from privsplit.shared.logging import get_logger

log = get_logger(__name__)
MAGIC = b"PSVOCAB1"
_LEN = struct.Struct("<I")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")
_directory: Path | None = None
_warned: set[str] = set()


def set_directory(path: Path | None) -> None:
    """Use ``path`` for the cache (None: the user cache directory)."""
    global _directory
    _directory = None if path is None else Path(path)


def directory() -> Path:
    if _directory is not None:
        return _directory
    from privsplit.shared.settings import default_cache_dir

    return default_cache_dir() / "vocab"


def _private_directory() -> Path | None:
    """The cache directory, created 0700; None (and a warning) when it cannot be trusted."""
    path = directory()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(path)
    except OSError as exc:
        return _refuse(path, f"cannot be created ({exc.strerror})")
    if not stat.S_ISDIR(info.st_mode):
        return _refuse(path, "is not a directory")
    if info.st_uid != os.getuid():
        return _refuse(path, f"belongs to uid {info.st_uid}, not to this user")
    if info.st_mode & 0o077:
        return _refuse(path, f"is accessible to other users (mode {stat.S_IMODE(info.st_mode):o})")
    return path


def _refuse(path: Path, why: str) -> None:
    if str(path) not in _warned:
        _warned.add(str(path))
        log.warning("vocab_cache_unused", directory=str(path), reason=why)
    return None


def _header(name: str, key: dict[str, Any]) -> bytes:
    return json.dumps({"name": name, "key": key}, sort_keys=True, separators=(",", ":")).encode()


def _read(path: Path, header: bytes) -> bytes | None:
    """The payload of a valid file for ``header``, or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # missing, or a symbolic link (ELOOP)
        return None
    try:
        info = os.fstat(fd)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.getuid()
            or info.st_mode & 0o077
            or info.st_size < len(MAGIC) + 32 + _LEN.size
        ):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read()
    finally:
        os.close(fd)
    body_at = len(MAGIC) + 32
    if data[: len(MAGIC)] != MAGIC:
        return None
    if hashlib.sha256(memoryview(data)[body_at:]).digest() != data[len(MAGIC) : body_at]:
        return None
    (size,) = _LEN.unpack_from(data, body_at)
    start = body_at + _LEN.size
    if data[start : start + size] != header:
        return None  # built from other sources (or for another entry)
    return data[start + size :]


def _write(path: Path, header: bytes, payload: bytes) -> None:
    body = _LEN.pack(len(header)) + header + payload
    data = MAGIC + hashlib.sha256(body).digest() + body
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)  # replaces a bad file (or a link) as a whole
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def load(name: str, key: dict[str, Any], build: Callable[[], bytes]) -> bytes:
    """``build()``'s bytes for entry ``name`` built from ``key`` (JSON-serializable), read
    from the cache when a valid file is there, else built and stored (best effort: a cache
    that cannot be written only costs the build)."""
    if not _NAME.match(name):
        raise ValueError(f"bad cache entry name {name!r}")
    header = _header(name, key)
    folder = _private_directory()
    if folder is not None:
        payload = _read(folder / name, header)
        if payload is not None:
            return payload
    payload = build()
    if folder is not None:
        try:
            _write(folder / name, header, payload)
        except OSError as exc:
            log.warning("vocab_cache_not_written", entry=name, reason=exc.strerror)
    return payload


def file_key(path: Path) -> list[int]:
    """What a source file is identified by in a key: its size and modification time."""
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns]
