"""Precision rules of the detectors (issue 13): what is not private stays untouched, what is
private is still caught, in English, French, Spanish and German.

Each case is a shape of text users write, not a line of the development set: contact
blocks next to chat lines, imperative requests, code and log tokens, reference numbers,
address tails, secret assignments and hashtags.
"""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.detectors.name_evidence import name_evidence_spans
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.layout import contact_block_spans
from privsplit.edge.privacy.spans import Span


@pytest.fixture(scope="module")
def engine() -> PrivacyEngine:
    names = ["patterns", "address", "names", "spacy", "handles", "ids", "phones"]
    return PrivacyEngine(detectors=[create_detector(n) for n in names])


def _values(engine: PrivacyEngine, text: str) -> set[str]:
    return {text[s.start : s.end] for s in engine.detect(text) if s.score >= 0.5}


def _hidden(engine: PrivacyEngine, text: str) -> str:
    """The letters and digits of ``text`` that some span covers, in order."""
    covered = {i for s in engine.detect(text) for i in range(s.start, s.end)}
    return "".join(c if i in covered else " " for i, c in enumerate(text))


# ---- contact blocks --------------------------------------------------------------------------
def _spans_at(text: str, *values: str, kind: str = "EMAIL_ADDRESS") -> list[Span]:
    out = []
    for v in values:
        i = text.index(v)
        out.append(Span(i, i + len(v), kind if "@" in v or "+" in v else "PERSON", 0.9, "t"))
    return out


def test_contact_block_hides_the_name_title_employer_and_postcode() -> None:
    text = (
        "Best regards,\nJane Roe\nNetwork and systems administrator\nAcme & Co | Berlin 10115\n"
        "jane.roe@acme.example\n+49 30 1234567"
    )
    found = {
        text[s.start : s.end]
        for s in contact_block_spans(
            text, _spans_at(text, "jane.roe@acme.example", "+49 30 1234567", "Berlin")
        )
    }
    assert {"Jane Roe", "Network and systems administrator", "Acme & Co", "10115"} <= found
    assert "Best regards" not in found


def test_contact_block_leaves_chat_lines_labels_and_fragments_alone() -> None:
    text = (
        "ping me at carla@mail.example\nReplying to @ana and @bo\n#weekend\nsigning off, Michael\n"
        "Account ID: AC-99812\nSent from my phone\nHello Jason,\nok, sending it now\nRN"
    )
    spans = _spans_at(text, "carla@mail.example", "@ana", "@bo", "Michael", "AC-99812", "Jason")
    found = {text[s.start : s.end] for s in contact_block_spans(text, spans)}
    assert not found & {
        "Replying to",
        "weekend",
        "signing off",
        "Account ID",
        "Sent from my phone",
        "Hello",
        "ok",
        "RN",
    }


def test_contact_block_reads_the_value_of_a_name_label() -> None:
    text = "Billing address: Erlendur G. Hafliðason\n    764 Fagradalsbraut 7\nPhone: 555 0100"
    spans = _spans_at(text, "555 0100", kind="PHONE_NUMBER")
    spans = [Span(s.start, s.end, "PHONE_NUMBER", 0.9, "t") for s in spans]
    found = {text[s.start : s.end] for s in contact_block_spans(text, spans)}
    assert "Erlendur G. Hafliðason" in found
    assert not any("Billing" in f for f in found)


def test_contact_block_in_a_text_written_without_capitals() -> None:
    text = "naomi ryan\nsewer pipe cleaner\nnaomi.ryan@mail.example\n555-0100"
    found = {
        text[s.start : s.end]
        for s in contact_block_spans(text, _spans_at(text, "naomi.ryan@mail.example"))
    }
    assert {"naomi ryan", "sewer pipe cleaner"} <= found


# ---- spaCy slips ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "untouched"),
    [
        ("Translate 'the meeting is on Thursday' into German.", "Translate"),
        ("Draft an email to my landlord about the heating.", "Draft"),
        ("Callback number: 709-786-2737", "Callback"),
        ("Customer ID AD-ID-6323725; previous ticket REF 31O1191.", "ID"),
        ("Retry failed with ERR_CONNECTION_RESET after 3 attempts.", "ERR_CONNECTION_RESET"),
        ("device_id=U2H-XDA-6837 os=18.04 LTS app_build=20", "LTS"),
        ("The court referred to the judgment in Application no. 77283/03.", "Application"),
        ("Cheers,\nErica", "Cheers"),
    ],
)
def test_ordinary_words_and_code_tokens_are_not_entities(
    engine: PrivacyEngine, text: str, untouched: str
) -> None:
    start = text.index(untouched)
    hidden = _hidden(engine, text)
    assert hidden[start : start + len(untouched)].strip() == "", hidden


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Jennifer said the meeting moved to Friday.", "Jennifer"),
        ("Please forward this to Michael Jordan before noon.", "Michael Jordan"),
        ("Cheers,\nErica Lindqvist", "Erica Lindqvist"),
        ("Bonjour, je suis Jean Dupont et j'habite à Lyon.", "Jean Dupont"),
        ("Hola Julia:\nte escribo por la cita del martes.", "Julia"),
        ("Hallo Franz-Peter, danke für die Unterlagen.", "Franz-Peter"),
        ("He lives on the north side of Joaquin Suarez 2906.", "2906"),
    ],
)
def test_people_and_places_are_still_found(engine: PrivacyEngine, text: str, value: str) -> None:
    start = text.index(value)
    hidden = _hidden(engine, text)
    assert hidden[start : start + len(value)] == value, hidden


# ---- addresses -----------------------------------------------------------------------------
def _address(text: str) -> set[str]:
    return {text[s.start : s.end] for s in create_detector("address").detect(text)}


def test_address_tails_stop_at_words_tokens_labels_and_blank_lines() -> None:
    found = _address("Shipped to 52660 Cox Terrace, Julieville, FL 97771, tracking AV0681794GU.")
    assert "52660 Cox Terrace, Julieville, FL 97771" in found
    assert not any("tracking" in f for f in found)
    found = _address("The letter arrived at 6400 12 Timms Drive Suite 215 Australia last night.")
    assert not any(f.endswith(" la") for f in found)
    found = _address("Kiannonkatu 98 Apt. 105, ISHAM, United Kingdom\nMobile: 03.93.92.16.85")
    assert not any("Mobile" in f for f in found)
    assert not _address("Az. 2 C 585/13\n\nDer Kläger, Herr Ian Ullrich, geboren am 26.02.1979")


def test_no_address_from_the_tail_of_a_code_or_an_english_word() -> None:
    assert not any(
        "Replacement" in f
        for f in _address("Account ID: NU-DL-4815577 Replacement shipped to Unit 7006 Box 8179")
    )
    assert not _address("During 1971, Mayo-Walters invested heavily in new designs.")


@pytest.mark.parametrize(
    "text",
    ["Kaiserring 19, 68161 Mannheim", "Via Roma 12, Milano", "12 Main Street, Springfield"],
)
def test_street_addresses_in_several_languages_are_still_found(text: str) -> None:
    assert text in _address(text)


# ---- secrets, handles, hashtags ------------------------------------------------------------
def test_a_secret_assignment_hides_the_value_not_the_variable_name() -> None:
    patterns = create_detector("patterns")
    text = "AWS_SECRET_ACCESS_KEY=WX6IW6hXHzN2J3rOnEt5mpxC1DM07sVt\ndevice_id=U2H-XDA-6837"
    found = {text[s.start : s.end] for s in patterns.detect(text)}
    assert "WX6IW6hXHzN2J3rOnEt5mpxC1DM07sVt" in found
    assert not any("AWS_SECRET" in f or "device_id" in f for f in found)
    text = "key Zm9vYmFyMTIzNDU2Nzg5MGFiY2RlZg== here"
    assert "Zm9vYmFyMTIzNDU2Nzg5MGFiY2RlZg==" in {
        text[s.start : s.end] for s in patterns.detect(text)
    }


def test_a_hashtag_that_reads_as_a_name_is_hidden_with_its_mentions() -> None:
    text = "what a day\n#weekend #joseph #python\nand joseph agrees"
    found = [(text[s.start : s.end], s.start) for s in name_evidence_spans(text, [])]
    assert ("joseph", text.index("#joseph") + 1) in found
    assert ("joseph", text.rindex("joseph")) in found
    assert not any(v in ("weekend", "python") for v, _ in found)


def test_a_run_of_chinese_with_a_number_is_not_cut_as_code() -> None:
    """Scripts without spaces hold numbers inside one token; only ASCII codes split a span."""
    from privsplit.edge.privacy.detectors.ner_slips import span_pieces

    text = "早安，愛麗絲，今天早上我必須在6 點起床 ticket AB12 Jane Roe"
    pieces = [text[a:b] for a, b in span_pieces(text, 0, len(text))]
    assert pieces[0].startswith("早安，愛麗絲") and "AB12" not in " ".join(pieces)
    assert pieces[-1] == "Jane Roe"


@pytest.mark.parametrize(
    ("text", "untouched"),
    [
        ("class Config:\n    retries: int = 3", "Config"),
        ("Peux-tu traduire ce script Python pour lundi ?", "Python"),
        ("Le rendez-vous est Monday à 10 h, merci.", "Monday"),
    ],
)
def test_code_names_public_terms_and_weekdays_are_not_entities(text: str, untouched: str) -> None:
    spacy = create_detector("spacy")
    assert untouched not in {text[s.start : s.end] for s in spacy.detect(text)}
