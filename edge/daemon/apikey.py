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

import secrets
from pathlib import Path

from privsplit.edge.daemon.settings import API_KEY_RE, DaemonSettings
from privsplit.shared.errors import ConfigError
from privsplit.shared.files import publish_private_file, read_private_file


def load_or_create_api_key(path: Path) -> str:
    """The key in ``path``, created (0600) if the file does not exist yet."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        # False: another daemon (or `privsplit edge key`) was first, and its key stands
        publish_private_file(path, (secrets.token_urlsafe(32) + "\n").encode())
    key = read_private_file(path, what="API key file").decode("ascii", errors="replace").strip()
    if not API_KEY_RE.match(key):
        raise ConfigError(
            f"API key file {path} must hold one key of 16-512 visible ASCII characters"
        )
    return key


def resolve_api_key(settings: DaemonSettings) -> str:
    """The key the daemon requires: the configured one, else the key file's."""
    if settings.api_key is not None:  # its shape is checked by the settings
        return settings.api_key.get_secret_value()
    assert settings.api_key_file is not None  # filled in by the settings
    return load_or_create_api_key(settings.api_key_file)
