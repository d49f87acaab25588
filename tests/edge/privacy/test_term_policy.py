"""The term pass's policy knobs (pipeline.terms): each moves what is hidden, and no
allow-list lets a person or an identifier through."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import term_policy
from privsplit.edge.privacy.detectors.term_policy import TermPolicy
from privsplit.edge.privacy.detectors.terms import TermDetector
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from tests.conftest import TEST_MODEL


def hidden(text: str, **policy) -> dict[str, str]:
    detector = TermDetector(policy=TermPolicy(**policy))
    return {text[s.start : s.end]: s.entity_type for s in detector.detect(text)}


def test_places_knob_hides_or_keeps_countries_and_cities_in_any_case() -> None:
    text = "I grew up in belarus and now work in Hong Kong."
    assert hidden(text, places="hide") == {"belarus": "LOCATION", "Hong Kong": "LOCATION"}
    assert hidden(text, places="allow") == {}
    # rare: judged by frequency like any word; common country names pass
    assert "belarus" not in hidden(text, places="rare")


def test_zipf_shift_hides_more_or_fewer_words() -> None:
    text = "Please check the dosage table in the leaflet."
    assert hidden(text) == {}
    # the shift moves the frequency thresholds; English vocabulary ("dosage") is judged by
    # WordNet unless english_words is off
    assert "dosage" not in hidden(text, zipf_shift=1.0)
    assert "dosage" in hidden(text, zipf_shift=1.0, english_words=False)
    rare = "I studied at vnit before joining."
    assert "vnit" in hidden(rare)
    assert "vnit" not in hidden(rare, zipf_shift=-3.0)


def test_drug_and_procedure_allow_lists_keep_the_subject_of_the_request() -> None:
    text = "Is Ozempic safe before a CT scan?"
    assert hidden(text) == {}
    assert "Ozempic" in hidden(text, allow=())


def test_name_cues_knob() -> None:
    text = "Write an ad for a company called tech stop, and thank my brother harrison."
    assert hidden(text) == {"tech stop": "NAME", "harrison": "NAME"}
    assert hidden(text, name_cues=False) == {}
    # a common word after the cue is no name
    assert hidden("She called me and my wife answered.") == {}


@pytest.mark.parametrize(
    "text,name",
    [
        ("Please thank my colleague Kannada for the slides.", "Kannada"),  # a language name
        ("Dear Allegra, your results are ready.", "Allegra"),  # a drug brand
        ("Tell my friend Lyrica that the meeting moved.", "Lyrica"),
    ],
)
def test_allow_lists_do_not_let_a_name_after_a_name_cue_through(text: str, name: str) -> None:
    assert any(name in value for value in hidden(text))


def test_hostile_drug_named_person_is_not_sent_through_the_pipeline() -> None:
    """The whole plan (detectors + term pass, default policy): a person whose first name is a
    drug brand, with a clear cue and an identifier, reaches the cloud only as placeholders;
    the drug itself, the subject of the request, is kept."""
    settings = EdgeSettings.load(edge_model=TEST_MODEL, pipeline={"hide_with_model": False})
    pipeline = build_pipeline(settings, offline=True)
    text = (
        "My friend Allegra Whitfield (customer C1566511282) takes Allegra for hay fever. "
        "Is it safe with ibuprofen?"
    )
    sent = "\n".join(pipeline.plan(text, Vault()))
    assert "Whitfield" not in sent
    assert "C1566511282" not in sent
    assert "Allegra Whitfield" not in sent
    assert "ibuprofen" in sent


def test_pipeline_settings_reach_the_term_pass() -> None:
    """pipeline.terms in the edge settings is what the pipeline's term pass follows."""
    text = "My country is belarus; what documents do I need for a visa?"
    try:
        hide = build_pipeline(
            EdgeSettings.load(edge_model=TEST_MODEL, pipeline={"hide_with_model": False}),
            offline=True,
        )
        assert "belarus" not in "\n".join(hide.plan(text, Vault()))
        allow = build_pipeline(
            EdgeSettings.load(
                edge_model=TEST_MODEL,
                pipeline={"hide_with_model": False, "terms": {"places": "allow"}},
            ),
            offline=True,
        )
        assert "belarus" in "\n".join(allow.plan(text, Vault()))
    finally:
        term_policy.configure(TermPolicy())


def test_vocabularies_are_general_lists() -> None:
    assert {"swahili", "turkish", "kannada"} <= term_policy.languages()
    assert {"ozempic", "ibuprofen", "allegra"} <= term_policy.drugs()
    assert {"ct scan", "mri", "colonoscopy"} <= term_policy.procedures()
    assert {"belarus", "hong kong", "pune", "washington", "usa"} <= term_policy.places()
    # ordinary English words are not drug names here
    assert not {"android", "today", "sits"} & term_policy.drugs()


def test_country_questions_keep_their_subject_only_when_places_are_allowed() -> None:
    """The default hides places (PUPA-style: a country can place a person); a deployment
    whose users ask about countries sets places="allow"."""
    text = "What is the GDP of the USA compared with the UK?"
    assert hidden(text) == {"USA": "LOCATION", "UK": "LOCATION"}
    assert hidden(text, places="allow") == {}


def test_english_vocabulary_is_kept_and_names_that_travel_are_not() -> None:
    story = "The ward was a bustle of nurses; she was famished and dishevelled."
    assert hidden(story) == {}
    assert set(hidden(story, english_words=False)) == {"bustle", "famished", "dishevelled"}
    # rare words that are names: not in WordNet ("rubija", "ranveer"), or in WordNet but used
    # as much in other languages as in English ("turpins", "jovial" is French and Spanish too)
    names = "we visited the turpins, my friend rubija and ranveer; a jovial evening."
    assert set(hidden(names)) == {"turpins", "rubija", "ranveer", "jovial"}
