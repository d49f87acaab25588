"""The daemon's API key: required as ``Authorization: Bearer KEY`` on every loopback TCP
listener (the OpenAI-compatible HTTP API and gRPC over TCP).

Contract:
- ``daemon.api_key``, when set, is the key; no file is read or written.
- Otherwise the key lives in ``daemon.api_key_file`` (by default ``api.key`` beside the vault
  key, e.g. ``~/.config/privsplit/api.key``). At first start it is created with
  ``secrets.token_urlsafe(32)``, mode 0600, all at once: the key is written to a private
  temporary file created with O_CREAT|O_EXCL, then hard-linked into place, which fails if
  the file exists. A daemon that loses that race reads the winner's key, never a half-written
  file, and neither crashes.
- On every load the file must belong to this user and be unreadable by group and others;
  otherwise ``ConfigError`` says what is wrong and how to fix it. Nothing is logged.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from privsplit.edge.daemon.settings import API_KEY_RE, DaemonSettings
from privsplit.shared.errors import ConfigError
from privsplit.shared.files import create_private_file


def _check(path: Path) -> str:
    info = path.stat()
    if info.st_uid != os.getuid():
        raise ConfigError(f"API key file {path} belongs to another user; remove it")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"API key file {path} is readable by other users; chmod 600 it "
            "(or delete it and restart the daemon for a new key)"
        )
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if not API_KEY_RE.match(key):
        raise ConfigError(
            f"API key file {path} must hold one key of 16-512 visible ASCII characters"
        )
    return key


def _create(path: Path) -> None:
    """Put a new key at ``path`` unless one is already there (atomically, see the docstring)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    create_private_file(tmp, (secrets.token_urlsafe(32) + "\n").encode())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another daemon (or `privsplit edge key`) was first: its key stands
    finally:
        tmp.unlink()


def load_or_create_api_key(path: Path) -> str:
    """The key in ``path``, created (0600) if the file does not exist yet."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    return _check(path)


def resolve_api_key(settings: DaemonSettings) -> str:
    """The key the daemon requires: the configured one, else the key file's."""
    if settings.api_key is not None:  # its shape is checked by the settings
        return settings.api_key.get_secret_value()
    assert settings.api_key_file is not None  # filled in by the settings
    return load_or_create_api_key(settings.api_key_file)
