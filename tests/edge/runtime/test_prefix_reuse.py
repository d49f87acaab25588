"""llama.cpp prefix reuse (the KV state of the shared prompt prefix is kept between calls), on
SmolLM2: consecutive chunk notes with one instruction evaluate fewer prompt tokens with reuse,
and greedy output is the same as evaluating every prompt from scratch."""

from __future__ import annotations

from pathlib import Path

import llama_cpp
import pytest

from privsplit.edge.runtime import create_runtime
from privsplit.shared.types import GenerationParams, Message

pytestmark = pytest.mark.slow

CHUNKS = [
    "Visit 3 (12 March): potassium 4.1 mmol/L, creatinine 0.9 mg/dL. Metoprolol continued.",
    "Imaging: CT of the abdomen with Omnipaque 350; no contrast reaction was recorded.",
    "Visit 4 (2 May): potassium 5.2 mmol/L. The surgeon started Apixaban after the arthroscopy.",
]
QUESTION = "What was the potassium on 2 May?"
INSTRUCTION = (  # as the summarize map prompt: one instruction shared by every chunk
    "You read one part of a private document on the user's own device and copy out the lines "
    "that are most related to the user's question. Quote them exactly, with their names, "
    "numbers, dates and amounts. Do not explain and do not answer the question."
)
GREEDY = GenerationParams(max_tokens=24, temperature=0.0, seed=42)


def _messages(i: int, chunk: str) -> list[Message]:
    return [
        Message("system", INSTRUCTION),
        Message("user", f'Document part {i} of 3:\n"""\n{chunk}\n"""\n\nQuestion: {QUESTION}'),
    ]


def _prompt_tokens_evaluated(model) -> int:
    return llama_cpp.llama_perf_context(model._llm.ctx).n_p_eval


def test_greedy_notes_are_the_same_with_and_without_prefix_reuse(test_model_path: Path) -> None:
    notes, evaluated = {}, {}
    for arm in (True, False):
        with create_runtime(
            "llamacpp", model_path=test_model_path, n_ctx=1024, reuse_prefix=arm
        ) as model:
            notes[arm] = [model.chat(_messages(i, c), GREEDY) for i, c in enumerate(CHUNKS, 1)]
            evaluated[arm] = _prompt_tokens_evaluated(model)
    assert notes[True] == notes[False]
    assert all(notes[True])
    # the shared instruction is evaluated once, not once per chunk
    assert evaluated[True] < evaluated[False]
