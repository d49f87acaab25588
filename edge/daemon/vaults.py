"""The conversation vault store: the privacy package's encrypted store, with its key file.

The key (32 random bytes) is created at first start in its own file, mode 0600, outside the
directory of the vault files (the store's contract: the key never sits next to them).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from privsplit.edge.daemon.conversations import VaultStore
from privsplit.edge.privacy.vault_store import EncryptedVaultStore
from privsplit.shared.errors import ConfigError
from privsplit.shared.files import create_private_file


def load_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        create_private_file(path, key)
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"vault key {path} is readable by other users; chmod 600 it")
    if len(key) != 32:
        raise ConfigError(f"vault key {path} must hold exactly 32 bytes")
    return key


def build_vault_store(state_dir: Path, key_file: Path) -> VaultStore:
    return EncryptedVaultStore(directory=state_dir / "vaults", key=load_or_create_key(key_file))
