"""The audit log's Ed25519 signing key: generated at first start, kept 0600 next to the log.

Every load re-checks the file (this user's, mode 0600 or stricter: ``read_private_file``); a key
others can read is refused, since whoever holds it can forge records. The key file appears all
at once, so two daemons starting on the same directory share the first one's key.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from privsplit.shared.errors import ConfigError
from privsplit.shared.files import publish_private_file, read_private_file

KEY_FILE = "signing.key"
PUBLIC_KEY_FILE = "signing.pub"


def load_or_create_signing_key(directory: Path) -> Ed25519PrivateKey:
    """The key in ``directory``; a new one (and its public half) when there is none yet."""
    key_path, created = directory / KEY_FILE, False
    if not key_path.exists():
        new = Ed25519PrivateKey.generate()
        pem = new.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        created = publish_private_file(key_path, pem)  # False: another process was first
    raw = read_private_file(key_path, what="audit signing key")
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"audit signing key {key_path} is not a PEM Ed25519 key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"audit signing key {key_path} is not an Ed25519 key")
    public = directory / PUBLIC_KEY_FILE
    if created or not public.exists():
        public.write_bytes(public_pem(key.public_key()))
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"audit public key not found: {path}") from None
    except ValueError:
        raise ConfigError(f"audit public key {path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"audit public key {path} is not an Ed25519 key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """sha256 of the raw public key, hex; what an operator pins and compares."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()
