"""Files that hold secrets.

Contract: a secret file is created 0600 and never over an existing file; ``publish_private_file``
makes it appear all at once (a private temporary file hard-linked into place), so a second
process racing to create the same key reads the winner's complete file, never a half-written
one. ``read_private_file`` refuses, on every load, a file that is not this user's or that group
or others can access, with a ``ConfigError`` that says how to fix it.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from privsplit.shared.errors import ConfigError


def create_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (never over an existing file) and sync it to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_private_file(path: Path, data: bytes) -> bool:
    """Create ``path`` (0600) holding ``data`` unless it exists; True if this call made it,
    False if another process was first (its file stands)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    create_private_file(tmp, data)
    try:
        os.link(tmp, path)  # atomic, and fails if path exists
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def read_private_file(path: Path, *, what: str) -> bytes:
    """The bytes of a secret file that belongs to this user and is private to it (mode 0600
    or stricter); ``what`` names it in the error (e.g. "vault key")."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)  # the file actually read (a symlink's target), checked once opened
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{what} {path} is not a regular file")
        if info.st_uid != os.getuid():
            raise ConfigError(
                f"{what} {path} belongs to uid {info.st_uid}, not to this user "
                f"(uid {os.getuid()}); remove it (a new one is made at start) or chown it"
            )
        if info.st_mode & 0o077:
            raise ConfigError(
                f"{what} {path} is readable by other users (mode "
                f"{stat.S_IMODE(info.st_mode):o}); chmod 600 it, and replace it if others "
                "may have copied it"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)
