"""Rare but public (``terms_public``, issue 13): PII-free clinical and technical questions come
out of ``privsplit redact``'s hiding untouched, while the same public words next to a private
identifier's cue, and real names inside such texts, are still hidden.

Cases are shapes of questions users write (registry codes, eponyms, error codes, model
numbers, imperative requests, code), not lines of the development set.
"""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector, terms_lexicon, terms_public
from privsplit.edge.privacy.detectors.term_policy import TermPolicy
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.policy import Action
from privsplit.edge.privacy.settings import PrivacySettings


@pytest.fixture(scope="module")
def engine() -> PrivacyEngine:
    """The detectors and the rare-term pass, as ``privsplit redact`` builds them."""
    return build_engine(PrivacySettings(llm=False), terms=True)


def hidden_values(engine: PrivacyEngine, text: str) -> set[str]:
    return {
        text[s.start : s.end]
        for s in engine.detect(text)
        if engine.policy.action_for(s.entity_type) is not Action.ALLOW
    }


@pytest.mark.parametrize(
    "text",
    [
        "What does the diagnosis code K50.90 mean on my insurance statement?",
        "Is CVE-2023-4863 patched in the current browser release?",
        "Which sections of RFC 9110 define how HTTP caching works?",
        "Does ISO/IEC 27001 require an external audit every year?",
        "What are the early symptoms of Addison's disease in adults?",
        "Is Raynaud's phenomenon dangerous when it gets cold?",
        "Explain Bayes' theorem with a simple example about medical tests.",
        "Summarize the main differences between TCP and UDP for a beginner.",
        "How do I fix ORA-01017 after changing the database settings?",
        "The setup stops with error 0x80070643, what does it mean?",
        "Is atrial fibrillation dangerous at 75 mcg of levothyroxine?",
        "Why does my laptop overheat when the retry loop runs all night?",
        "Compare the RTX 3080 and the Galaxy S21 for gaming on the go.",
        "My BP 150/95 this morning, is that too high for a runner?",
        "@dataclass\nclass Settings:\n    retries: int = 3",
        "def handler(event):\n    return event",
        "Quels sont les symptômes de la maladie de Crohn chez l'adulte ?",
        "La réunion de lundi est annulée, merci de prévenir l'équipe.",
        "Wie behebe ich den Fehler 0x80070005 bei der Installation?",
        "Was ist der Unterschied zwischen einem Virus und einem Bakterium?",
    ],
)
def test_pii_free_questions_come_out_untouched(engine: PrivacyEngine, text: str) -> None:
    assert hidden_values(engine, text) == set()


@pytest.mark.parametrize(
    ("text", "private"),
    [
        # a public code's format after a private identifier's cue is an identifier
        ("Patient ID: K50.90, please update the chart today.", "K50.90"),
        ("Your account no. CVE-2021-44228 was suspended.", "CVE-2021-44228"),
        # a name before a disease word, after a person cue, is the person
        ("My friend Zubrowska's disease got worse after the trip.", "Zubrowska"),
        # a common given name's disease is that person's; so is one in a text about someone
        ("How is Maria's arthritis treated these days?", "Maria"),
        ("Kowalczyk's syndrome is back and she is tired all day.", "Kowalczyk"),
        # real names next to public terms are still hidden
        ("Ask Okonkwo about the Parkinson's disease trial results.", "Okonkwo"),
        ("Compare the RTX 4090 with the boards from Halvorsen Labs.", "Halvorsen Labs"),
        ("i met ananya yesterday about the retry logic", "ananya"),
        ("class Zorblax:\n    pass", "Zorblax"),
        # a rare name opening a sentence that is also a verb ("to hector") is a name
        ("Hector said the parcel never came.", "Hector"),
        ("Wie hoch ist die Dosis für Frau Brückenreiter?", "Brückenreiter"),
        # an article before a run of capitalized words is a firm's name, not a noun
        ("Die Beklagte, die Beer Reinhardt AG, beantragt Klageabweisung.", "Beer"),
        # a short code that is a piece of a longer one is hidden with it
        ("The court referred to the judgment in File E48/4282/2003 of that year.", "E48"),
        ("my sister lives in belarus now", "belarus"),
    ],
)
def test_private_values_next_to_public_terms_are_still_hidden(
    engine: PrivacyEngine, text: str, private: str
) -> None:
    found = hidden_values(engine, text)
    assert any(private in v for v in found), found


def test_registry_codes_are_public_without_a_private_cue() -> None:
    text = "See CVE-2021-44228 and RFC 7231; the member number ORA-12541 is mine."
    codes = {text[a:b] for a, b in terms_public.public_codes(text)}
    assert {"CVE-2021-44228", "RFC 7231"} <= codes
    assert "ORA-12541" not in codes  # "member number" before it: a private identifier


@pytest.mark.parametrize(
    ("word", "known"),
    [("retries", True), ("overheat", True), ("atrial", True), ("ananya", False), ("vnit", False)],
)
def test_english_vocabulary_comes_from_wordnet(word: str, known: bool) -> None:
    assert terms_lexicon.english_word(word) is known


@pytest.mark.parametrize(
    ("text", "word", "public"),
    [
        ("Why does it overheat at night?", "overheat", True),
        ("My hobbies: hiking, shoplifting and chess.", "shoplifting", False),
        ("He took 75 mcg this morning.", "mcg", True),
        ("Does atrial fibrillation come back?", "atrial", True),
        ("Is ananya fibrillation a thing?", "ananya", False),
    ],
)
def test_rare_english_words_are_kept_only_by_their_form_or_context(
    text: str, word: str, public: bool
) -> None:
    """WordNet alone keeps no rare word: a rare word may be the private part of a request."""
    start = text.index(word)
    kept = terms_lexicon.prefixed_word(word) or terms_public.public_word(
        text, start, start + len(word)
    )
    assert kept is public


def test_the_term_pass_keeps_public_words_on_its_own() -> None:
    """The term detector alone (no NER before it) keeps them too, at the default policy."""
    terms = create_detector("terms", policy=TermPolicy())
    text = "How is Hashimoto's thyroiditis diagnosed, and what does I48.91 mean on a bill?"
    assert terms.detect(text) == []
