"""Which languages a text is written in, as the rare-term pass (``terms.py``) reads them.

A word rare in English can be an ordinary word of another language ("reunión", "Beschluss"):
the term pass judges it by that language's word frequencies, not as a name. This module
decides which language that is, and which script a word or a text is written in:

- ``text_languages``: the text's detected language when it is a Latin-script language
  wordfreq knows (``LATIN_LANGUAGES``: a Spanish e-mail is written in Spanish), else the
  language of a quoted passage (``second_language``: an English request quoting a French
  letter), else none; and whether the text is written in it.
- ``second_language``: among a text's words that are uncommon in English, the language in
  which most of them are common ("nous avons une réunion lundi avec les équipes" -> "fr").
  Names are rare in every language, so they elect none.
- ``latin_word`` / ``mostly_latin``: a word written in Latin letters ("Müller", "c1566511"),
  a text whose letters are at least 60% Latin (an English e-mail quoting a Korean name).
- ``script_language``: the one language to look up a Cyrillic, Greek, Arabic or Hebrew word
  in ("Москва" -> "ru"); None for scripts of several languages or none (Han, Hangul, Kana).
"""

from __future__ import annotations

from functools import lru_cache

from privsplit.edge.privacy.detectors import language
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as _zipf

SMALL_LIST_ZIPF = 3.0  # wordfreq's small lists hold every word at least this frequent


def _common_zipf(word: str, lang: str) -> float:
    """Zipf frequency from wordfreq's small list of ``lang`` (words at least once per million,
    Zipf >= 3): the same value as the full list at and above 3, and a smaller table to load,
    so ``second_language`` can ask 26 languages."""
    return _zipf(word, lang, "small")


_SCRIPT_LANGUAGES = (("CYRILLIC", "ru"), ("GREEK", "el"), ("ARABIC", "ar"), ("HEBREW", "he"))


def script_language(word: str) -> str | None:
    """The wordfreq language to look a non-Latin word up in, when its script has one
    language that needs no extra segmenter."""
    names = [_char_name(c) for c in word if c.isalpha()]
    for script, lang in _SCRIPT_LANGUAGES:
        if names and all(script in n for n in names):
            return lang
    return None


def latin_word(word: str) -> bool:
    if word.isascii():  # every ASCII letter is a Latin one
        return True
    return all(not c.isalpha() or "LATIN" in _char_name(c) for c in word)


@lru_cache(maxsize=4096)
def _char_name(c: str) -> str:
    import unicodedata

    return unicodedata.name(c, "")


def mostly_latin(text: str) -> bool:
    if text.isascii():  # no letters, or only Latin ones
        return True
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    return sum(1 for c in letters if c.isascii() or "LATIN" in _char_name(c)) >= 0.6 * len(letters)


# Latin-script languages wordfreq knows: a quoted Spanish e-mail is not a list of rare words
LATIN_LANGUAGES = (
    "es",
    "fr",
    "de",
    "pt",
    "it",
    "nl",
    "ro",
    "pl",
    "tr",
    "id",
    "ms",
    "ca",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
    "sk",
    "sl",
    "sh",
    "hu",
    "lt",
    "lv",
    "is",
    "vi",
    "fil",
)


def second_language(words: list[str], *, common: float = 3.5, min_words: int = 3) -> str | None:
    """The other language a text is partly written in: among its words that are uncommon in
    English, the language in which most of them are common (at least ``min_words`` and 40%
    of them). Names are rare in every language, so they do not elect one."""
    uncommon = list(
        dict.fromkeys(
            w.casefold()
            for w in words
            if w.isalpha() and latin_word(w) and _zipf(w.casefold()) < 3.0
        )
    )
    if len(uncommon) < min_words:
        return None
    lookup = _common_zipf if common >= SMALL_LIST_ZIPF else _zipf
    best, best_count = None, 0
    for lang in LATIN_LANGUAGES:
        count = sum(lookup(w, lang) >= common for w in uncommon)
        if count > best_count:
            best, best_count = lang, count
    return best if best_count >= max(min_words, 0.4 * len(uncommon)) else None


def text_languages(text: str, words: list[str]) -> tuple[str | None, bool]:
    """The language besides English whose words are ordinary in ``text``, and whether the
    text is written in it: its detected language when that is a Latin-script language
    wordfreq knows, else the language of a quoted passage (``second_language``), if any."""
    detected = language.text_language(text) if language.is_available() else None
    if detected in LATIN_LANGUAGES:
        return detected, True
    return second_language(words), False
