"""Answer cache fixtures: a real encrypted store in a private temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from privsplit.edge.cache import AnswerCache, CacheSettings, build_answer_cache
from privsplit.edge.cache.answers import derive_keys
from privsplit.edge.cache.store import SUFFIX
from privsplit.shared.files import read_private_file


@pytest.fixture
def cache_settings(tmp_path: Path) -> CacheSettings:
    return CacheSettings(directory=tmp_path / "cache", key_file=tmp_path / "keys" / "cache.key")


@pytest.fixture
def cache(cache_settings: CacheSettings, tmp_path: Path) -> AnswerCache:
    return build_answer_cache(cache_settings, vault_key_file=tmp_path / "keys" / "vault.key")


def entry_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX))


def decrypt_all(settings: CacheSettings) -> list[bytes]:
    """Every entry decrypted the way an attacker holding the key would: the plaintext bytes."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    entry_key, _ = derive_keys(read_private_file(settings.key_file, what="cache key"))
    aead = AESGCM(entry_key)
    out = []
    for path in entry_files(settings.directory):
        blob = path.read_bytes()
        out.append(aead.decrypt(blob[4:16], blob[16:], path.name.removesuffix(SUFFIX).encode()))
    return out


def umask_free_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
