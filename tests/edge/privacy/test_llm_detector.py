"""The contextual detector on a real llama.cpp model (SmolLM2: fast, weak); the ``full``
mode (every chunk read whole, typed items). The default ``fast`` mode: test_llm_fast.py."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.detectors.llm import LlmDetector, _chunks
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import ConfigError, ModelOutputInvalid, PrivacyBlocked


@pytest.mark.slow
def test_llm_detector_returns_offsets_into_the_text(test_model_path) -> None:
    det = create_detector("llm", model=test_model_path, max_tokens=64, max_chars=400, mode="full")
    try:
        text = "Walker works as a talking-books clerk at Ussearch in Oslo and has Fabry disease."
        spans = det.detect(text)
        for s in spans:
            assert 0 <= s.start < s.end <= len(text)
            assert s.detector == "llm"
            assert text[s.start : s.end].strip()
    finally:
        det.close()


def test_answers_are_mapped_back_only_when_they_occur_in_the_text() -> None:
    det = LlmDetector(runtime=object())
    chunk = "follow up with benjamin a seiler at Ussearch"
    reply = (
        '{"items": [{"text": "Benjamin A. Seiler", "type": "PERSON"}, {"text": "Invented Corp", '
        '"type": "ORGANIZATION"}, {"text": "Ussearch", "type": "ORGANIZATION"}]}'
    )
    found = [(s.entity_type, chunk[s.start : s.end]) for s in det._parse(chunk, reply)]
    assert found == [("PERSON", "benjamin a seiler"), ("ORGANIZATION", "Ussearch")]


def test_chunks_cover_the_text_exactly() -> None:
    text = "word " * 1000
    chunks = _chunks(text, 300)
    assert "".join(c for _, c in chunks) == text
    assert all(len(c) <= 300 for _, c in chunks)


class _DeadRuntime:
    def chat(self, *a, **k):
        raise RuntimeError("llama.cpp context failed")

    def close(self) -> None:
        pass


def test_a_failing_model_blocks_the_request() -> None:
    engine = PrivacyEngine(
        detectors=[create_detector("patterns"), LlmDetector(runtime=_DeadRuntime())]
    )
    with pytest.raises(PrivacyBlocked, match="llm"):
        engine.redact("Walker works at Ussearch", Vault())


@pytest.mark.parametrize(
    "value,entity,chunk,keep",
    [
        ("female", "PERSON", "A 79 year old female complaining of stomach pain", False),
        ("terrence", "PERSON", "they had 6: terrence, donna and brian", True),
        ("Fabry disease", "MEDICAL_CONDITION", "Walker has Fabry disease.", True),
        ("Comedy", "DATE_TIME", "Genres: Comedy, Drama", False),
        ("March 2003", "DATE_TIME", "convicted in March 2003", True),
        (
            "My name appears incorrectly on my credit card statement",
            "PERSON",
            "My name appears incorrectly on my credit card statement",
            False,
        ),
    ],
)
def test_implausible_answers_are_dropped(value: str, entity: str, chunk: str, keep: bool) -> None:
    from privsplit.edge.privacy.detectors.llm import plausible

    assert plausible(value, entity, chunk) is keep


# ---- an unreadable answer is a failure, not a partial success (issue 12, finding 5) -------

CHUNK = "follow up with benjamin a seiler at Ussearch"
TRUNCATED = '{"items": [{"text": "Ussearch", "type": "ORGANIZATION"}, {"text": "benj'
GOOD = '{"items": [{"text": "Ussearch", "type": "ORGANIZATION"}]}'


@pytest.mark.parametrize(
    "reply",
    [
        TRUNCATED,  # cut off by the token budget: the lost items may be the private ones
        "Sure! Ussearch is an organization.",
        '{"items": "Ussearch"}',
        '{"items": ["Ussearch"]}',
        "[]",
    ],
)
def test_a_truncated_or_malformed_answer_is_a_failure(reply: str) -> None:
    with pytest.raises(ModelOutputInvalid):
        LlmDetector(runtime=object())._parse(CHUNK, reply)


class _Scripted:
    """Source of malformed answers (the part under test is the parser and retry logic)."""

    def __init__(self, *answers: str) -> None:
        self.answers = answers
        self.budgets: list[int] = []

    def chat(self, messages, params, *, json_schema=None) -> str:
        self.budgets.append(params.max_tokens)
        return self.answers[min(len(self.budgets), len(self.answers)) - 1]

    def close(self) -> None:
        pass


def test_truncated_twice_refuses_the_request_with_a_typed_error() -> None:
    runtime = _Scripted(TRUNCATED)
    engine = PrivacyEngine(
        detectors=[
            create_detector("patterns"),
            LlmDetector(runtime=runtime, max_tokens=64, mode="full"),
        ]
    )
    with pytest.raises(ModelOutputInvalid, match="could not be read"):
        engine.redact(CHUNK, Vault())
    assert runtime.budgets == [64, 128]  # retried once, with twice the budget


def test_a_complete_retry_is_used() -> None:
    runtime = _Scripted(TRUNCATED, GOOD)
    spans = LlmDetector(runtime=runtime, max_tokens=64, mode="full").detect(CHUNK)
    assert [CHUNK[s.start : s.end] for s in spans] == ["Ussearch"]
    assert runtime.budgets == [64, 128]


def test_best_effort_skips_the_unreadable_chunk() -> None:
    runtime = _Scripted(TRUNCATED)
    det = LlmDetector(runtime=runtime, on_bad_output="best_effort", mode="full")
    assert det.detect(CHUNK) == [] and len(runtime.budgets) == 2
    with pytest.raises(ConfigError, match="closed, best_effort"):
        LlmDetector(runtime=runtime, on_bad_output="lenient")


@pytest.mark.slow
def test_the_real_model_cut_off_by_its_budget_is_refused(test_model_path) -> None:
    # two and four tokens cannot hold even an empty answer ('{"items": []}'): the real
    # model's answer is cut off on both tries
    det = create_detector("llm", model=test_model_path, max_tokens=2, max_chars=400, mode="full")
    try:
        with pytest.raises(ModelOutputInvalid):
            det.detect("Walker works as a clerk at Ussearch in Oslo and has Fabry disease.")
    finally:
        det.close()
