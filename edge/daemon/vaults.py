"""The conversation vault store: the privacy package's encrypted store, with its key file.

The key (32 random bytes) is created at first start in the state directory, mode 0600.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from privsplit.edge.daemon.conversations import VaultStore
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import ConfigError, NotFound
from privsplit.shared.logging import get_logger

log = get_logger(__name__)

KEY_FILE = "vault.key"


def load_or_create_key(directory: Path) -> bytes:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / KEY_FILE
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
    if len(key) != 32:
        raise ConfigError(f"vault key {path} must hold exactly 32 bytes")
    return key


class MemoryVaultStore:
    """Keeps vaults in this process only (nothing on disk): used when the encrypted store of
    the privacy package is not installed; conversations then end with the daemon."""

    def __init__(self) -> None:
        self._vaults: dict[str, Vault] = {}

    def save(self, conversation_id: str, vault: Vault) -> None:
        self._vaults[conversation_id] = vault

    def load(self, conversation_id: str) -> Vault:
        vault = self._vaults.get(conversation_id)
        if vault is None:
            raise NotFound("the conversation's vault is gone (the daemon restarted)")
        return vault

    def delete(self, conversation_id: str) -> None:
        self._vaults.pop(conversation_id, None)


def build_vault_store(state_dir: Path) -> VaultStore:
    try:
        from privsplit.edge.privacy.vault_store import EncryptedVaultStore
    except ImportError:
        log.warning("vault_store_unavailable", persisted=False)
        return MemoryVaultStore()
    return EncryptedVaultStore(directory=state_dir / "vaults", key=load_or_create_key(state_dir))
