"""The private local answer cache (sanitized questions -> the cloud's sanitized answers,
encrypted on the device); ``build_answer_cache`` makes one from the settings."""

from __future__ import annotations

from pathlib import Path

from privsplit.edge.cache.answers import AnswerCache, CachedAnswer, CacheScope, derive_keys
from privsplit.edge.cache.settings import CacheSettings
from privsplit.edge.cache.store import EntryStore, load_or_create_key


def cache_key_file(settings: CacheSettings, vault_key_file: Path) -> Path:
    """Where the cache key lives: ``cache.key_file``, else beside the vault key."""
    return settings.key_file or vault_key_file.parent / "cache.key"


def build_answer_cache(settings: CacheSettings, *, vault_key_file: Path) -> AnswerCache:
    """The cache of ``settings`` (key created at first use); ``ConfigError`` when its key or
    directory is not private to this user."""
    entry_key, name_key = derive_keys(load_or_create_key(cache_key_file(settings, vault_key_file)))
    store = EntryStore(
        directory=settings.directory,
        key=entry_key,
        ttl_seconds=settings.ttl_seconds,
        max_entries=settings.max_entries,
        max_entry_bytes=settings.max_entry_bytes,
    )
    return AnswerCache(store=store, name_key=name_key)


__all__ = [
    "AnswerCache",
    "CacheScope",
    "CacheSettings",
    "CachedAnswer",
    "build_answer_cache",
    "cache_key_file",
]
