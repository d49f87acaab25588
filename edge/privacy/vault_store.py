"""Conversation vaults persisted encrypted (AES-256-GCM); never written in clear.

The 32-byte key is given by the caller (from the OS keyring, an env secret or a KMS) and is
never stored next to the files. Each file is ``MAGIC | 12-byte nonce | ciphertext+tag``, and
the conversation id is bound as associated data, so a file renamed to another conversation
fails to open. Writes go to a temporary file that is fsynced and renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import ConfigError, InvalidRequest, NotFound, PrivacyBlocked
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
MAGIC = b"PSV1"
_CONV_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def generate_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


class EncryptedVaultStore:
    def __init__(self, *, directory: Path | str, key: bytes) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) != 32:
            raise ConfigError("vault key must be 32 bytes (AES-256)")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._aead = AESGCM(bytes(key))
        self._lock = threading.Lock()

    def _path(self, conv_id: str) -> Path:
        if not isinstance(conv_id, str) or not _CONV_ID.match(conv_id) or conv_id.strip(".") == "":
            raise InvalidRequest(
                "conversation id must be 1-128 characters of letters, digits, '.', '_' or '-'"
            )
        # file names do not reveal conversation ids either
        return self.directory / (hashlib.sha256(conv_id.encode()).hexdigest()[:32] + ".vault")

    def save(self, conv_id: str, vault: Vault) -> None:
        path = self._path(conv_id)
        nonce = os.urandom(12)
        blob = MAGIC + nonce + self._aead.encrypt(nonce, vault.to_bytes(), conv_id.encode())
        tmp = path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
        with self._lock:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        log.info("vault_saved", entries=len(vault))

    def load(self, conv_id: str) -> Vault:
        path = self._path(conv_id)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise NotFound("no stored vault for this conversation") from None
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 12 + 16:
            raise PrivacyBlocked("stored vault is not in the expected format")
        nonce = blob[len(MAGIC) : len(MAGIC) + 12]
        try:
            raw = self._aead.decrypt(nonce, blob[len(MAGIC) + 12 :], conv_id.encode())
        except InvalidTag:
            raise PrivacyBlocked(
                "stored vault failed authentication (wrong key, tampered or moved)"
            ) from None
        try:
            return Vault.from_bytes(raw)
        except ValueError:
            raise PrivacyBlocked("stored vault is corrupt") from None

    def load_or_new(self, conv_id: str) -> Vault:
        try:
            return self.load(conv_id)
        except NotFound:
            return Vault()

    def delete(self, conv_id: str) -> bool:
        """True when a stored vault was removed."""
        path = self._path(conv_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True
