"""The term pass at a sentence's start: a capitalized first word must be rarer to count as a
name, unless it is no language's word (``terms_lexicon.no_vocabulary``), which a capital
at the start of a sentence does not excuse."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector, terms_lexicon
from privsplit.edge.privacy.detectors.terms_language import LATIN_LANGUAGES


def hidden(text: str) -> dict[str, str]:
    detector = create_detector("terms")
    return {text[s.start : s.end]: s.entity_type for s in detector.detect(text)}


@pytest.mark.parametrize(
    "text,name",
    [
        ("The clinic opened in 2008. Nate has been an attorney there since.", "Nate"),
        ("Megan lives on a quiet street near the park.", "Megan"),
        ("Thanks for the call.\nDeborah: the scan looks fine.", "Deborah"),
        ("Il est arrivé hier. Nate restera deux jours.", "Nate"),
    ],
)
def test_a_name_opening_a_sentence_is_hidden(text: str, name: str) -> None:
    assert hidden(text).get(name) == "NAME"


@pytest.mark.parametrize(
    "text,word",
    [
        ("Film is a medium of its own.", "Film"),  # English vocabulary (WordNet)
        ("Max speed is 120 km/h on this road.", "Max"),
        ("Pls send the invoice today.", "Pls"),  # chat abbreviations: no vowel
        ("Btw the meeting moved to noon.", "Btw"),
        ("Okay, let us start. Yeah, I think so. Wow, that is great.", "Okay"),
        ("Taxi drivers were on strike. Hotel rooms were cheap.", "Taxi"),
        ("Taxi drivers were on strike. Hotel rooms were cheap.", "Hotel"),
        ("fun onTextChanged(s: CharSequence, start: Int, count: Int) {}", "Int"),  # a type
    ],
)
def test_ordinary_sentence_openers_are_kept(text: str, word: str) -> None:
    assert word not in hidden(text)
    assert not any(word in value.split() for value in hidden(text))


@pytest.mark.parametrize(
    "word,expected",
    [
        ("nate", True),  # a name: used about as much in every language
        ("megan", True),
        ("linkedin", True),
        ("film", False),  # in WordNet
        ("max", False),
        ("famished", False),
        ("notre", False),  # French's own word (5.9 in French, 3.7 in English)
        ("hola", False),  # Spanish's
        ("traduire", False),
        ("bella", False),  # Italian's (5.4 vs 3.7)
        ("pls", False),  # no vowel: an abbreviation
        ("btw", False),
    ],
)
def test_no_vocabulary(word: str, expected: bool) -> None:
    assert terms_lexicon.no_vocabulary(word, LATIN_LANGUAGES) is expected
