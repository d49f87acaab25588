"""The cascade's draft and decision: exact arithmetic in words, the confidence signal from
token log-probabilities (real SmolLM2), cut-off and over-long requests never kept."""

from __future__ import annotations

import math
import time

import pytest

from privsplit.edge.pipeline.cascade import Draft, accept, arith_answer, draft, threshold_for
from privsplit.edge.pipeline.settings import PipelineSettings

DEFAULT = PipelineSettings().cascade_threshold


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("What is 15% of 80?", "15% of 80 equals 12."),
        ("calculate 17 times 23", "17 times 23 equals 391."),
        ("What is 1,234 + 4,321?", "1,234 + 4,321 equals 5,555."),
        ("What's 144 divided by 12?", "144 divided by 12 equals 12."),
        ("What is 2 to the power of 10?", "2 to the power of 10 equals 1,024."),
        ("What is 12.5 percent of 240?", "12.5 percent of 240 equals 30."),
        ("How much is (3+4)*5?", "(3+4)*5 equals 35."),
        ("Compute 10/3", "10/3 equals 3.333333."),
        ("What is 45 minus 17?", "45 minus 17 equals 28."),
    ],
)
def test_arithmetic_in_words_is_answered_exactly(text: str, answer: str) -> None:
    assert arith_answer(text) == answer


@pytest.mark.parametrize(
    "text",
    [
        "What is the capital of France?",
        "what is 7",  # no calculation
        "What is 3, 4?",  # a comma that is no thousands separator
        "What is 15% of my salary of 80?",  # words left over
        "A notebook costs 3 dollars. How much do 4 notebooks cost?",
        "what is 2**200000",  # refused by the bounded evaluator
        "What is 1/0?",
        "x" * 300,
    ],
)
def test_anything_else_is_left_to_the_model(text: str) -> None:
    assert arith_answer(text) is None


def test_accept_needs_a_finished_confident_draft() -> None:
    sure = Draft("Paris.", "model", [-0.01, -0.02, -0.03])
    assert sure.confidence == pytest.approx(-0.02)
    assert accept(sure, -0.05) and not accept(sure, -0.01)
    cut = Draft("Paris is", "model", [-0.01, -0.01], finished=False)
    assert not accept(cut, -1.0)  # cut off at max_tokens: never kept
    assert not accept(Draft("", "skipped", finished=False), -math.inf)
    assert not accept(Draft("", "model", [-0.1]), -5.0)  # an empty answer is no answer
    assert accept(Draft("2 + 2 equals 4.", "arith"), 0.0)  # exact arithmetic is certain


@pytest.mark.parametrize(
    ("settings", "plain", "private"),
    [
        (dict(cascade="off"), None, None),
        (dict(cascade="on", cascade_threshold=-0.2), -0.2, -0.2),
        (dict(cascade="on", cascade_overrides={"private": "off"}), DEFAULT, None),
        (dict(cascade="off", cascade_overrides={"private": -0.5}), None, -0.5),
    ],
)
def test_the_threshold_follows_the_setting_and_its_per_kind_overrides(settings, plain, private):
    s = PipelineSettings(**settings)
    assert threshold_for(s, private=False) == plain
    assert threshold_for(s, private=True) == private


@pytest.mark.slow
def test_the_model_draft_reports_its_confidence(smol) -> None:
    d = draft(smol, "What is the capital of France?", max_tokens=24, max_input_chars=500)
    assert d.source == "model" and d.text
    assert d.logprobs and all(lp <= 0 for lp in d.logprobs)
    assert d.confidence == pytest.approx(sum(d.logprobs) / len(d.logprobs))
    assert d.finished and d.seconds > 0


@pytest.mark.slow
def test_a_draft_cut_off_at_max_tokens_is_not_finished(smol) -> None:
    d = draft(smol, "Write a long story about a dragon.", max_tokens=3, max_input_chars=500)
    assert d.source == "model" and not d.finished and not accept(d, -math.inf)


@pytest.mark.slow
def test_arithmetic_and_long_requests_skip_the_model(smol) -> None:
    started = time.perf_counter()
    exact = draft(smol, "What is 25% of 80?", max_tokens=24, max_input_chars=500)
    long = draft(smol, "Summarize: " + "word " * 200, max_tokens=24, max_input_chars=500)
    assert time.perf_counter() - started < 0.5  # no generation ran
    assert (exact.source, exact.text, exact.confidence) == ("arith", "25% of 80 equals 20.", 0.0)
    assert long.source == "skipped" and not accept(long, -math.inf)
