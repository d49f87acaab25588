"""``pipeline.terms.capitalized_words``: a rare capitalized word of English's own vocabulary
standing alone is kept; next to another capitalized word, as a town or a firm's suffix, and
as a surname (surnames travel between languages), it is still hidden."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors.term_policy import TermPolicy
from privsplit.edge.privacy.detectors.terms import TermDetector

ON = TermDetector(policy=TermPolicy(capitalized_words=True))
OFF = TermDetector(policy=TermPolicy())


def hidden(detector: TermDetector, text: str) -> set[str]:
    return {text[s.start : s.end] for s in detector.detect(text)}


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("What is the Molarity of this solution?", "Molarity"),
        ("My Volunteering experience is broad.", "Volunteering"),
        ("She asked about Proficient use of spreadsheets.", "Proficient"),
    ],
)
def test_a_lone_capitalized_english_word_is_kept(text: str, word: str) -> None:
    assert word in hidden(OFF, text)  # the default still hides it for its rarity
    assert word not in hidden(ON, text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("He served in Operation Desert Storm in 1991.", "Operation Desert Storm"),
        ("We drove to Norfolk on Sunday.", "Norfolk"),  # a town
        ("Feather Friends, Incorporated, distributes a birdhouse.", "Incorporated"),
        ("March 2012: Lost Bubble tops the list.", "Bubble"),  # "Lost" opens no sentence here
        ("I met Thatcher at the Fletcher building.", "Thatcher"),  # surnames travel
    ],
)
def test_a_capitalized_word_in_a_name_is_still_hidden(text: str, value: str) -> None:
    assert any(value in h for h in hidden(ON, text))
