"""The conversation vault store: the privacy package's encrypted store, with its key file.

The key (32 random bytes) is created at first start in its own file, mode 0600, outside the
directory of the vault files (the store's contract: the key never sits next to them). The file
appears all at once (``publish_private_file``): two daemons starting together both end up with
the first one's key instead of crashing or reading half a file. Every load re-checks that the
file is this user's and private to it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from privsplit.edge.daemon.conversations import VaultStore
from privsplit.edge.privacy.vault_store import EncryptedVaultStore
from privsplit.shared.errors import ConfigError
from privsplit.shared.files import publish_private_file, read_private_file


def load_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        publish_private_file(path, secrets.token_bytes(32))  # False: another daemon was first
    key = read_private_file(path, what="vault key")
    if len(key) != 32:
        raise ConfigError(f"vault key {path} must hold exactly 32 bytes")
    return key


def build_vault_store(state_dir: Path, key_file: Path) -> VaultStore:
    return EncryptedVaultStore(directory=state_dir / "vaults", key=load_or_create_key(key_file))
