"""The encrypted entry files (edge/cache/store.py) played from the hostile side: tampered,
wrong-key, renamed and group-readable entries are refused with a warning and a miss, never a
crash and never a wrong answer; files are 0600 in a 0700 directory; TTL and size bounds hold."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from privsplit.edge.cache import build_answer_cache
from privsplit.edge.cache.answers import CacheScope
from privsplit.edge.cache.store import EntryStore, load_or_create_key
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import ConfigError
from privsplit.shared.types import GenerationParams, Usage
from tests.edge.cache.conftest import entry_files, umask_free_mode

SCOPE = CacheScope(destination="127.0.0.1:1", model="m", prompt="p", params=GenerationParams())
NAME = "a" * 64


class Answer:
    def __init__(self, query: str, text: str) -> None:
        self.query, self.text, self.usage = query, text, Usage(7, 5)


def fill(cache, query="Write to [PERSON_1].", text="Dear [PERSON_1], hello.") -> Path:
    assert cache.remember([Answer(query, text)], SCOPE, Vault()) == 1
    (path,) = entry_files(cache.store.directory)
    return path


def refused(caplog) -> list[str]:
    return [r.fields["reason"] for r in caplog.records if r.getMessage() == "cache_entry_refused"]


def test_files_are_0600_in_a_0700_directory_and_the_key_is_0600(cache, cache_settings) -> None:
    path = fill(cache)
    assert umask_free_mode(path) == 0o600
    assert umask_free_mode(cache_settings.directory) == 0o700
    assert umask_free_mode(cache_settings.key_file) == 0o600
    assert path.name.endswith(".entry") and len(path.name) == 64 + 6  # an HMAC, not the text


def test_a_tampered_entry_is_a_miss_with_a_warning_and_is_replaced(cache, caplog) -> None:
    path = fill(cache)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0x01
    path.write_bytes(bytes(blob))
    with caplog.at_level(logging.WARNING):
        assert cache.look_up(["Write to [PERSON_1]."], SCOPE) is None
    assert refused(caplog) == ["authentication"]
    fill(cache)  # the next answer replaces it
    assert cache.look_up(["Write to [PERSON_1]."], SCOPE) is not None


@pytest.mark.parametrize("garbage", [b"", b"PSC1", b"not a cache entry at all" * 3])
def test_a_truncated_or_foreign_file_is_a_miss(cache, caplog, garbage: bytes) -> None:
    path = fill(cache)
    path.write_bytes(garbage)
    with caplog.at_level(logging.WARNING):
        assert cache.look_up(["Write to [PERSON_1]."], SCOPE) is None
    assert refused(caplog) == ["format"]


def test_an_entry_written_with_another_key_is_a_miss(cache, cache_settings, tmp_path, caplog):
    fill(cache)
    cache_settings.key_file.unlink()
    load_or_create_key(cache_settings.key_file)  # a new key, e.g. after a restore from backup
    other = build_answer_cache(cache_settings, vault_key_file=tmp_path / "keys" / "vault.key")
    with caplog.at_level(logging.WARNING):
        # the entry name is keyed too: with another key the same query names another file
        assert other.look_up(["Write to [PERSON_1]."], SCOPE) is None
        (path,) = entry_files(cache_settings.directory)
        assert other.store.get(path.name.removesuffix(".entry")) is None
    assert refused(caplog) == ["authentication"]


def test_an_entry_renamed_to_another_key_fails_authentication(cache, caplog) -> None:
    fill(cache, "Write to [PERSON_1].", "Answer one.")
    second = fill_second(cache)
    first = next(p for p in entry_files(cache.store.directory) if p != second)
    os.replace(first, second)  # "Answer one." now sits under the second query's name
    with caplog.at_level(logging.WARNING):
        assert cache.look_up(["Call [PERSON_1]."], SCOPE) is None  # never the wrong answer
    assert refused(caplog) == ["authentication"]


def fill_second(cache) -> Path:
    before = set(entry_files(cache.store.directory))
    assert cache.remember([Answer("Call [PERSON_1].", "Answer two.")], SCOPE, Vault()) == 1
    (path,) = set(entry_files(cache.store.directory)) - before
    return path


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_group_or_world_readable_entry_is_refused(cache, caplog, mode: int) -> None:
    path = fill(cache)
    path.chmod(mode)
    with caplog.at_level(logging.WARNING):
        assert cache.look_up(["Write to [PERSON_1]."], SCOPE) is None
    assert refused(caplog) == ["not_private"]
    fill(cache)  # a new answer is written as a fresh 0600 file
    assert umask_free_mode(path) == 0o600


def test_a_symlinked_entry_from_elsewhere_is_refused(cache, tmp_path, caplog) -> None:
    path = fill(cache)
    outside = tmp_path / "planted"
    outside.write_bytes(path.read_bytes())
    outside.chmod(0o644)
    path.unlink()
    path.symlink_to(outside)
    with caplog.at_level(logging.WARNING):
        assert cache.look_up(["Write to [PERSON_1]."], SCOPE) is None
    assert refused(caplog) == ["not_private"]


@pytest.mark.parametrize("mode", [0o750, 0o705, 0o770])
def test_a_directory_others_can_enter_is_refused(tmp_path, mode: int) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    directory.chmod(mode)
    with pytest.raises(ConfigError, match="chmod 700"):
        EntryStore(directory=directory, key=bytes(32), ttl_seconds=60, max_entries=10)


def test_a_group_readable_key_is_refused(cache_settings, tmp_path) -> None:
    load_or_create_key(cache_settings.key_file)
    cache_settings.key_file.chmod(0o640)
    with pytest.raises(ConfigError, match="cache key .* readable by other users"):
        build_answer_cache(cache_settings, vault_key_file=tmp_path / "keys" / "vault.key")


def test_an_expired_entry_is_a_miss_and_is_removed(tmp_path) -> None:
    store = EntryStore(directory=tmp_path / "c", key=bytes(32), ttl_seconds=0.2, max_entries=10)
    store.put(NAME, {"v": 1})
    assert store.get(NAME) is not None
    time.sleep(0.3)
    assert store.get(NAME) is None
    assert not store.path(NAME).exists()


def test_the_oldest_entries_go_beyond_max_entries(tmp_path) -> None:
    store = EntryStore(directory=tmp_path / "c", key=bytes(32), ttl_seconds=60, max_entries=3)
    names = [f"{i:064x}" for i in range(5)]
    for i, name in enumerate(names):
        store.put(name, {"i": i})
        os.utime(store.path(name), (1000 + i, 1000 + i))  # a clear age order
    assert [store.get(n) is not None for n in names] == [False, False, True, True, True]


def test_too_large_an_answer_is_not_stored(tmp_path) -> None:
    store = EntryStore(
        directory=tmp_path / "c", key=bytes(32), ttl_seconds=60, max_entries=3, max_entry_bytes=1024
    )
    assert store.put(NAME, {"answer": "x" * 2000}) is False
    assert store.get(NAME) is None


def test_stats_and_clear(cache) -> None:
    fill(cache)
    fill_second(cache)
    (entry_files(cache.store.directory)[0]).write_bytes(b"PSC1" + bytes(40))
    stats = cache.store.stats()
    assert (stats.entries, stats.unreadable, stats.expired) == (2, 1, 0)
    assert cache.store.clear() == 2
    assert cache.store.stats().entries == 0
