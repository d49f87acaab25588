"""The conversation vault store: the privacy package's encrypted store, with its key file.

The key (32 random bytes) is created at first start in its own file, mode 0600, outside the
directory of the vault files (the store's contract: the key never sits next to them).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from privsplit.edge.daemon.conversations import VaultStore
from privsplit.edge.privacy.vault_store import EncryptedVaultStore
from privsplit.shared.errors import ConfigError


def load_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"vault key {path} is readable by other users; chmod 600 it")
    if len(key) != 32:
        raise ConfigError(f"vault key {path} must hold exactly 32 bytes")
    return key


def build_vault_store(state_dir: Path, key_file: Path) -> VaultStore:
    return EncryptedVaultStore(directory=state_dir / "vaults", key=load_or_create_key(key_file))
