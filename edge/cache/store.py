"""Encrypted entry files of the answer cache: one 0600 file per entry in a 0700 directory.

Contract: ``get`` never raises for a bad entry. A file that fails authentication (tampered,
truncated, written with another key, or renamed to another entry's name), that is not this
user's, or that group or others can read, is refused with a warning and counts as a miss; the
next ``put`` of that entry replaces it. Each file is ``MAGIC | 12-byte nonce | AES-256-GCM
ciphertext+tag`` with the entry name bound as associated data. An entry older than the TTL is
a miss and is removed; beyond ``max_entries`` the oldest files go first. The directory is
created 0700; one that another user owns or that group or others can access is refused
(``ConfigError``) before anything is read or written.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privsplit.shared.errors import ConfigError
from privsplit.shared.files import publish_private_file, read_private_file
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
MAGIC = b"PSC1"
SUFFIX = ".entry"
_NAME = re.compile(r"^[0-9a-f]{64}$")


def load_or_create_key(path: Path) -> bytes:
    """The 32-byte cache key in ``path`` (created 0600 at first use, atomically; checked to
    be this user's and private on every load)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        publish_private_file(path, secrets.token_bytes(32))  # False: another process was first
    key = read_private_file(path, what="cache key")
    if len(key) != 32:
        raise ConfigError(f"cache key {path} must hold exactly 32 bytes")
    return key


def private_directory(path: Path) -> Path:
    """``path`` created 0700, or refused when another user owns it or others can access it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.getuid():
        raise ConfigError(
            f"the cache directory {path} belongs to uid {info.st_uid}, not to this user; "
            "remove it or set cache.directory elsewhere"
        )
    if info.st_mode & 0o077:
        raise ConfigError(
            f"the cache directory {path} is accessible to other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}); run chmod 700 {path}"
        )
    return path


@dataclass(frozen=True)
class StoreStats:
    entries: int
    bytes: int
    expired: int
    unreadable: int
    oldest_seconds: float
    newest_seconds: float


class EntryStore:
    def __init__(
        self,
        *,
        directory: Path,
        key: bytes,
        ttl_seconds: float,
        max_entries: int,
        max_entry_bytes: int = 256 * 1024,
    ) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) != 32:
            raise ConfigError("the cache key must be 32 bytes (AES-256)")
        self.directory = private_directory(Path(directory))
        self._aead = AESGCM(bytes(key))
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.max_entry_bytes = max_entry_bytes

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValueError("an entry name is 64 lowercase hex digits")
        return self.directory / (name + SUFFIX)

    # -- one entry --------------------------------------------------------------------------
    def get(self, name: str) -> dict[str, Any] | None:
        path = self.path(name)
        if not path.exists():
            return None
        payload = self._open(path, name)
        if payload is None:
            return None
        if time.time() - float(payload.get("created", 0)) > self.ttl_seconds:
            path.unlink(missing_ok=True)
            log.info("cache_entry_expired")
            return None
        return payload

    def put(self, name: str, payload: dict[str, Any]) -> bool:
        """Store ``payload`` (a JSON object) under ``name``; False when it is too large."""
        raw = json.dumps(
            {**payload, "created": time.time()}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        if len(raw) > self.max_entry_bytes:
            log.info("cache_entry_too_large", size=len(raw))
            return False
        nonce = os.urandom(12)
        blob = MAGIC + nonce + self._aead.encrypt(nonce, raw, name.encode())
        path = self.path(name)
        tmp = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, path)  # a reader sees the old file or the new one, never half
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._bound()
        return True

    def _open(self, path: Path, name: str) -> dict[str, Any] | None:
        try:
            blob = read_private_file(path, what="cache entry")
        except ConfigError:  # another user's, readable by others, or not a file: never used
            log.warning("cache_entry_refused", reason="not_private")
            return None
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 12 + 16:
            log.warning("cache_entry_refused", reason="format")
            return None
        nonce = blob[len(MAGIC) : len(MAGIC) + 12]
        try:
            raw = self._aead.decrypt(nonce, blob[len(MAGIC) + 12 :], name.encode())
            payload = json.loads(raw.decode())
        except InvalidTag:
            log.warning("cache_entry_refused", reason="authentication")  # tampered, wrong key
            return None
        except (ValueError, UnicodeDecodeError):
            log.warning("cache_entry_refused", reason="corrupt")
            return None
        return payload if isinstance(payload, dict) else None

    # -- the whole store --------------------------------------------------------------------
    def _files(self) -> list[os.DirEntry]:
        with os.scandir(self.directory) as it:
            return [e for e in it if e.name.endswith(SUFFIX) and e.is_file(follow_symlinks=False)]

    def _bound(self) -> None:
        files = self._files()
        if len(files) <= self.max_entries:
            return
        files.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime)
        for entry in files[: len(files) - self.max_entries]:
            Path(entry.path).unlink(missing_ok=True)
        log.info("cache_pruned", removed=len(files) - self.max_entries)

    def stats(self) -> StoreStats:
        now = time.time()
        size = expired = unreadable = 0
        ages: list[float] = []
        files = self._files()
        for entry in files:
            size += entry.stat(follow_symlinks=False).st_size
            payload = self._open(Path(entry.path), entry.name.removesuffix(SUFFIX))
            if payload is None:
                unreadable += 1
                continue
            age = now - float(payload.get("created", 0))
            expired += age > self.ttl_seconds
            ages.append(age)
        return StoreStats(
            entries=len(files),
            bytes=size,
            expired=expired,
            unreadable=unreadable,
            oldest_seconds=max(ages, default=0.0),
            newest_seconds=min(ages, default=0.0),
        )

    def clear(self) -> int:
        """Remove every entry (and leftover temporary files); the number of entries removed."""
        removed = 0
        with os.scandir(self.directory) as it:
            for entry in it:
                if entry.name.endswith(SUFFIX) or entry.name.endswith(".tmp"):
                    Path(entry.path).unlink(missing_ok=True)
                    removed += entry.name.endswith(SUFFIX)
        return removed
