"""The vocabulary cache (terms_cache) and the frequency tables read through it
(terms_wordfreq): the same values as wordfreq and the drug allow-list derived afresh, and a
cache file that someone else wrote, edited, cut short or swapped is rebuilt, never read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import wordfreq

from privsplit.edge.privacy.detectors import term_policy, terms_cache, terms_wordfreq

KEY = {"source": ["list", 1, 2]}
WORDS = [
    "hello",
    "Hello",
    "HELLO",
    "don't",
    "l'homme",
    "co-op",
    "mp3",
    "c1566511282",
    "2024",
    "3.14",
    "straße",
    "naïve",
    "Москва",
    "ελληνικά",
    "שלום",
    "東京",
    "",
    "e.g.",
    "K50.90",
    "retries",
    "vnit",
    "İstanbul",
    "wi-fi",
    "foo_bar",
    "zzqxv",
    "\ud800x",  # a lone surrogate, as a JSON input line may carry
]


@pytest.fixture
def cache_dir(tmp_path: Path):
    folder = tmp_path / "vocab"
    terms_cache.set_directory(folder)
    terms_wordfreq._TABLES.clear()
    terms_wordfreq.zipf.cache_clear()
    yield folder
    terms_cache.set_directory(None)
    terms_wordfreq._TABLES.clear()
    terms_wordfreq.zipf.cache_clear()


def builder(payload: bytes):
    calls: list[int] = []

    def build() -> bytes:
        calls.append(1)
        return payload

    return build, calls


@pytest.mark.parametrize("lang", ["en", "de", "cs", "ru", "tr"])
@pytest.mark.parametrize("wordlist", ["best", "small"])
def test_zipf_equals_wordfreq(cache_dir: Path, lang: str, wordlist: str) -> None:
    listed = [w for bucket in wordfreq.get_frequency_list(lang, wordlist)[::40] for w in bucket]
    sample = WORDS + listed[:: max(1, len(listed) // 300)]
    for word in sample + [w.upper() for w in sample] + [w + "zz" for w in sample]:
        assert terms_wordfreq.zipf(word, lang, wordlist) == wordfreq.zipf_frequency(
            word, lang, wordlist
        ), word
    # the second process reads the table from the cache, with the same values
    terms_wordfreq._TABLES.clear()
    terms_wordfreq.zipf.cache_clear()
    assert (cache_dir / f"wordfreq-{wordlist}-{lang}").is_file()
    for word in sample[:60]:
        assert terms_wordfreq.zipf(word, lang, wordlist) == wordfreq.zipf_frequency(
            word, lang, wordlist
        )


def test_files_are_private_and_read_back_without_rebuilding(cache_dir: Path) -> None:
    build, calls = builder(b"payload")
    assert terms_cache.load("entry", KEY, build) == b"payload"
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache_dir / "entry").st_mode) == 0o600
    assert terms_cache.load("entry", KEY, build) == b"payload"
    assert len(calls) == 1
    assert not [p for p in cache_dir.iterdir() if p.name != "entry"]  # no temporary file left


def _tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # one bit of the payload
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-3])


def _append(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\nextra")


def _widen(path: Path) -> None:
    path.chmod(0o644)


def _other_key(path: Path) -> None:  # a valid file, built from other sources
    path.unlink()
    terms_cache.load(path.name, {"source": ["another list", 3, 4]}, lambda: b"stale")


def _swap_for_link(path: Path) -> None:  # a valid file elsewhere, linked into place
    elsewhere = path.with_name("elsewhere")
    os.replace(path, elsewhere)
    path.symlink_to(elsewhere)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "attack", [_tamper, _truncate, _append, _widen, _other_key, _swap_for_link, _empty]
)
def test_a_file_changed_behind_our_back_is_rebuilt(cache_dir: Path, attack) -> None:
    build, calls = builder(b"the real vocabulary")
    terms_cache.load("entry", KEY, build)
    attack(cache_dir / "entry")
    assert terms_cache.load("entry", KEY, build) == b"the real vocabulary"
    assert len(calls) == 2
    # and the rebuilt file replaced it: private, regular, read back as is
    info = os.lstat(cache_dir / "entry")
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert terms_cache.load("entry", KEY, build) == b"the real vocabulary"
    assert len(calls) == 2


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
def test_another_users_file_is_not_read(cache_dir: Path) -> None:
    build, calls = builder(b"mine")
    terms_cache.load("entry", KEY, build)
    os.chown(cache_dir / "entry", 65534, 65534)
    assert terms_cache.load("entry", KEY, build) == b"mine"
    assert len(calls) == 2
    assert os.stat(cache_dir / "entry").st_uid == os.getuid()


def test_a_directory_others_can_reach_is_not_used(cache_dir: Path) -> None:
    cache_dir.mkdir(mode=0o755)
    cache_dir.chmod(0o755)
    build, calls = builder(b"value")
    assert terms_cache.load("entry", KEY, build) == b"value"
    assert terms_cache.load("entry", KEY, build) == b"value"
    assert len(calls) == 2  # built in memory each time
    assert not (cache_dir / "entry").exists()


def test_an_unwritable_cache_only_costs_the_build(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    terms_cache.set_directory(blocker / "vocab")
    try:
        build, calls = builder(b"value")
        assert terms_cache.load("entry", KEY, build) == b"value"
    finally:
        terms_cache.set_directory(None)


def test_entry_names_cannot_leave_the_directory(cache_dir: Path) -> None:
    with pytest.raises(ValueError):
        terms_cache.load("../outside", KEY, lambda: b"")


def test_a_tampered_frequency_table_does_not_make_a_rare_word_common(cache_dir: Path) -> None:
    """The hostile case that matters for privacy: an edited table that lists a rare word as
    common would keep it from being hidden. The edit breaks the checksum; the table is
    rebuilt from wordfreq's own file."""
    rare = wordfreq.zipf_frequency("vnit", "en")
    terms_wordfreq.zipf("vnit", "en")
    path = cache_dir / "wordfreq-best-en"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    terms_wordfreq._TABLES.clear()
    terms_wordfreq.zipf.cache_clear()
    assert terms_wordfreq.zipf("vnit", "en") == rare
    assert terms_wordfreq.zipf("the", "en") == wordfreq.zipf_frequency("the", "en")


def test_drug_allow_list_from_the_cache_equals_a_fresh_derivation(cache_dir: Path) -> None:
    term_policy.drugs.cache_clear()
    fresh = term_policy.drugs()
    assert "ozempic" in fresh and "aspirin" in fresh and "water" not in fresh
    term_policy.drugs.cache_clear()
    path = cache_dir / "drugs"
    path.write_bytes(path.read_bytes() + b"\nharrison")  # an allow-listed name, appended
    try:
        again = term_policy.drugs()
    finally:
        term_policy.drugs.cache_clear()
    assert again == fresh and "harrison" not in again


def test_place_names_from_the_cache_equal_a_fresh_derivation(cache_dir: Path) -> None:
    term_policy.places.cache_clear()
    try:
        assert term_policy.places() == term_policy._places()
        term_policy.places.cache_clear()
        path = cache_dir / "places"
        _truncate(path)  # cut short: a place that is hidden could go missing
        assert term_policy.places() == term_policy._places()
        assert "belarus" in term_policy.places()
    finally:
        term_policy.places.cache_clear()
