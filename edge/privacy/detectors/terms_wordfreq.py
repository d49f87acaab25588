"""Word frequencies (Zipf scale) from wordfreq's lists, without building a dictionary of a
whole language in every process.

``zipf(word, lang, wordlist)`` returns exactly what ``wordfreq.zipf_frequency`` returns (the
same tokenizer, the same combination of several tokens' frequencies, the same rounding); only
the look-up differs. wordfreq turns a language's list into a dictionary of 30,000-630,000
words on first use (0.1-0.4 s of CPU per language), and a process that meets texts in a
dozen languages pays that a dozen times for a few thousand look-ups. Here each list becomes,
once per installation, a hash table in one flat file of the vocabulary cache
(``terms_cache``: private, validated on every read) that loads in milliseconds: buckets by
CRC-32 of the word's UTF-8 bytes, each entry the word and its frequency in centibels.

Without a usable cache the table is built in memory (the same cost as wordfreq's own
dictionary); a language wordfreq knows only under another code is left to wordfreq itself.
"""

from __future__ import annotations

import math
import sys
import threading
import zlib
from array import array
from functools import lru_cache

from privsplit.edge.privacy.detectors import terms_cache

FORMAT = 1  # bump when the table layout below changes
_HEAD = array("I")
_LOCK = threading.Lock()
_TABLES: dict[tuple[str, str], FrequencyTable | None] = {}


class FrequencyTable:
    """A read-only map word -> centibels below 1 (wordfreq's bucket index), from bytes.

    Layout (native unsigned ints): ``n, nb``; ``nb + 1`` bucket starts; ``n + 1`` word
    offsets into the blob; ``n`` centibel values (``H``); the words' UTF-8 bytes."""

    def __init__(self, payload: bytes) -> None:
        view = memoryview(payload)
        size = _HEAD.itemsize
        n, nb = view[: 2 * size].cast("I")
        at = 2 * size
        self._starts = view[at : at + (nb + 1) * size].cast("I")
        at += (nb + 1) * size
        self._offsets = view[at : at + (n + 1) * size].cast("I")
        at += (n + 1) * size
        self._values = view[at : at + 2 * n].cast("H")
        self._blob = bytes(view[at + 2 * n :])
        self._nb = nb
        if len(self._blob) != (self._offsets[n] if n else 0):
            raise ValueError("frequency table payload is inconsistent")

    def get(self, word: str) -> int | None:
        key = word.encode("utf-8", "surrogatepass")
        bucket = zlib.crc32(key) % self._nb
        offsets, blob = self._offsets, self._blob
        for i in range(self._starts[bucket], self._starts[bucket + 1]):
            if blob[offsets[i] : offsets[i + 1]] == key:
                return self._values[i]
        return None

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None

    @staticmethod
    def build(pack: list[list[str]]) -> bytes:
        """The table of a cBpack (wordfreq's list of buckets, index = -centibels); a word
        listed twice keeps its last bucket, as wordfreq's dictionary does. Once per list and
        installation; numpy orders the entries (a 630k-word list in ~0.6 s of CPU)."""
        import numpy as np

        index: dict[str, int] = {}
        for cb, bucket in enumerate(pack):
            index.update(dict.fromkeys(bucket, cb))
        keys = [w.encode("utf-8", "surrogatepass") for w in index]
        n = len(keys)
        nb = max(1, n)
        buckets = np.fromiter(map(zlib.crc32, keys), dtype=np.uint64, count=n) % nb
        order = np.argsort(buckets, kind="stable")
        starts = np.zeros(nb + 1, dtype=np.uint32)
        np.cumsum(np.bincount(buckets, minlength=nb), out=starts[1:])
        offsets = np.zeros(n + 1, dtype=np.uint32)
        np.cumsum(np.fromiter(map(len, keys), dtype=np.uint32, count=n)[order], out=offsets[1:])
        values = np.fromiter(index.values(), dtype=np.uint16, count=n)[order]
        return b"".join(
            (
                array("I", [n, nb]).tobytes(),
                starts.tobytes(),
                offsets.tobytes(),
                values.tobytes(),
                b"".join([keys[i] for i in order.tolist()]),
            )
        )


def _source(lang: str, wordlist: str) -> str | None:
    """The data file wordfreq reads for ``lang`` (an exact code) and ``wordlist``."""
    import wordfreq

    return wordfreq.available_languages(wordlist).get(lang)


def table(lang: str, wordlist: str = "best") -> FrequencyTable | None:
    """The frequency table of ``lang``, or None when wordfreq has no list under that exact
    code (it then picks the closest language itself)."""
    with _LOCK:
        if (lang, wordlist) not in _TABLES:
            _TABLES[(lang, wordlist)] = _load(lang, wordlist)
        return _TABLES[(lang, wordlist)]


def _load(lang: str, wordlist: str) -> FrequencyTable | None:
    from importlib.metadata import version

    import wordfreq

    path = _source(lang, wordlist)
    if path is None:
        return None
    key = {
        "format": FORMAT,
        "byteorder": sys.byteorder,
        "wordfreq": version("wordfreq"),
        "source": [path, *terms_cache.file_key(path)],
    }
    payload = terms_cache.load(
        f"wordfreq-{wordlist}-{lang}",
        key,
        lambda: FrequencyTable.build(wordfreq.read_cBpack(path)),
    )
    return FrequencyTable(payload)


@lru_cache(maxsize=262144)
def zipf(word: str, lang: str = "en", wordlist: str = "best") -> float:
    """``wordfreq.zipf_frequency(word, lang, wordlist)``, read from the cached table."""
    import wordfreq
    from wordfreq.numbers import digit_freq, smash_numbers

    freqs = table(lang, wordlist)
    if freqs is None:
        return wordfreq.zipf_frequency(word, lang, wordlist)
    minimum = wordfreq.zipf_to_freq(0.0)
    tokens = wordfreq.lossy_tokenize(word, lang)
    if not tokens:
        return round(wordfreq.freq_to_zipf(minimum), 2)
    one_over_result = 0.0
    for token in tokens:
        smashed = smash_numbers(token)
        cb = freqs.get(smashed)
        if cb is None:
            return round(wordfreq.freq_to_zipf(minimum), 2)
        freq = wordfreq.cB_to_freq(-cb)
        if smashed != token:
            freq *= digit_freq(token)
        one_over_result += 1.0 / freq
    freq = 1.0 / one_over_result
    if wordfreq.get_language_info(lang)["tokenizer"] == "jieba":
        freq *= wordfreq.INFERRED_SPACE_FACTOR ** -(len(tokens) - 1)
    unrounded = max(freq, minimum)
    if unrounded == 0.0:
        freq = 0.0
    else:
        freq = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
    return round(wordfreq.freq_to_zipf(freq), 2)


def common_word_frequency(word: str, lang: str = "en") -> float:
    """wordfreq's frequency (a proportion, not Zipf) of a single token of ``lang``, 0.0 when
    it is not listed: ``get_frequency_dict(lang)[word]`` without the dictionary."""
    freqs = table(lang)
    if freqs is None:
        import wordfreq

        return wordfreq.get_frequency_dict(lang).get(word, 0.0)
    cb = freqs.get(word)
    return 0.0 if cb is None else 10 ** (-cb / 100)
