"""Typos of common words are not hidden as rare terms; names one edit from a word still are.

``terms_lexicon.misspelled_word`` reads a rare lowercase word as a typo only when it is one
edit inside a common English word, unknown to every word list, and near no word that
travels as names do; the term pass keeps such a word in English text."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.detectors.term_policy import TermPolicy
from privsplit.edge.privacy.detectors.terms import TermDetector
from privsplit.edge.privacy.detectors.terms_lexicon import misspelled_word, typo_targets


def hidden(text: str, detector: TermDetector | None = None) -> dict[str, str]:
    detector = detector or create_detector("terms")
    return {text[s.start : s.end]: s.entity_type for s in detector.detect(text)}


TYPOS = [
    ("sutdent", "student"),  # two letters swapped
    ("conisder", "consider"),
    ("informaiton", "information"),
    ("hihgly", "highly"),
    ("gramamr", "grammar"),
    ("passsword", "password"),  # a letter doubled
    ("warrning", "warning"),
    ("undersanding", "understanding"),  # a letter missing
    ("motvated", "motivated"),
    ("recogniz", "recognize"),  # the last letter missing
    ("internatonal", "international"),
    ("discusseed", "discussed"),  # a letter typed twice
    ("tiyle", "title"),  # a letter replaced
]


@pytest.mark.parametrize("typo,word", TYPOS)
def test_a_typo_of_a_common_word_is_kept(typo: str, word: str) -> None:
    assert misspelled_word(typo) == word
    text = f"could you please check the {typo} part of my notes again"
    assert typo not in hidden(text)


@pytest.mark.parametrize(
    "name",
    [
        "daniil",  # daniel: a name
        "kareen",  # karen: a name
        "tejas",  # texas: a place
        "anika",  # anita: a name
        "karine",  # marine: the first letter differs
        "jhonny",  # johnny: a name
        "bettina",  # betting: the last letter differs
        "brandi",  # brand: a letter added at the end
        "willa",  # will: a letter added at the end
        "boman",  # woman: the first letter differs
        "aarden",  # garden
        "sahil",  # sail
        "swith",  # with, switch, but also smith: a name's variant
        "searc",  # search, but also sears
        "iden",  # idea: too short to tell
    ],
)
def test_a_lowercase_name_one_edit_from_a_word_is_still_hidden(name: str) -> None:
    assert misspelled_word(name) is None
    assert hidden(f"yesterday i talked with {name} about the plan").get(name) == "TERM"


@pytest.mark.parametrize("word", ["devizes", "creaters", "goverment"])
def test_a_word_people_write_or_an_odd_extra_letter_is_no_typo(word: str) -> None:
    """'devizes' (a town, 2.2 in English) is one letter from 'devices'; a typo people make
    often ('goverment') cannot be told from such a name, so only words unknown to every
    list count. 'creaters' (a shop's name) has a letter more that is no letter typed twice."""
    assert misspelled_word(word) is None


@pytest.mark.parametrize("word", ["orden", "votre"])
def test_a_word_of_another_language_is_not_a_typo(word: str) -> None:
    """'orden' (Spanish) and 'votre' (French) are one edit from 'order' and 'vote', but
    they are other languages' words, not slips: the typo rule leaves them to the others."""
    assert misspelled_word(word) is None


def test_capitalized_names_are_unaffected() -> None:
    found = hidden("Yesterday I talked with Kareen and Daniil about the plan.")
    assert found == {"Kareen and Daniil": "NAME"}
    assert hidden("Yesterday I talked with Sutdent about the plan.") == {"Sutdent": "NAME"}


def test_names_and_places_are_no_typo_targets() -> None:
    targets = typo_targets()
    assert {"student", "information", "your", "international", "marry"} <= targets
    assert not {"karen", "daniel", "texas", "johnny", "anita", "frank", "norman"} & targets


def test_only_in_text_read_as_english() -> None:
    """In text written in another language (detected), a rare word is judged as that
    language's, not as an English typo."""
    detector = create_detector("terms")
    english = detector.classify("sutdent", sentence_start=False, latin_text=True)
    assert english is None
    native = detector.classify(
        "sutdent", sentence_start=False, latin_text=True, second_language="de", native=True
    )
    assert native == "TERM"


def test_the_english_words_policy_turns_it_off() -> None:
    strict = TermDetector(policy=TermPolicy(english_words=False))
    assert hidden("could you please check the sutdent part", strict) == {"sutdent": "TERM"}


def test_short_words_are_not_read_as_typos() -> None:
    assert misspelled_word("mary") is None  # marry: four letters, too short to tell
    assert misspelled_word("yoyr") is None  # your: four letters, one replaced
