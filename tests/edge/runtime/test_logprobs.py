"""Token log-probabilities of greedy generation (the cascade's confidence signal), on SmolLM2.

The llama.cpp runtime reads them from the raw logits of each step, without ``logits_all``;
they must equal what llama-cpp-python itself reports with ``logits_all=True`` and leave the
generated text unchanged. Requests the runtime cannot honour are refused, never ignored.
"""

from __future__ import annotations

from pathlib import Path

import llama_cpp
import pytest

from privsplit.edge.runtime import create_runtime
from privsplit.edge.runtime.residency import ResidentModel
from privsplit.shared.errors import InvalidRequest
from privsplit.shared.types import GenerationParams, Message

pytestmark = pytest.mark.slow

ASK = [Message("user", "What is the capital of France? Answer in one sentence.")]
GREEDY = GenerationParams(max_tokens=16, temperature=0.0)


@pytest.fixture(scope="module")
def model(test_model_path: Path):
    with create_runtime("llamacpp", model_path=test_model_path, n_ctx=512) as m:
        yield m


def test_logprobs_match_llama_cpp_with_logits_all(model, test_model_path: Path) -> None:
    got: list[float] = []
    text = "".join(model.stream(ASK, GREEDY, logprobs=got))
    assert text == model.chat(ASK, GREEDY)  # recording changes nothing in the answer
    reference = llama_cpp.Llama(
        model_path=str(test_model_path), n_ctx=512, logits_all=True, verbose=False
    )
    try:
        out = reference.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in ASK],
            max_tokens=16,
            temperature=0.0,
            logprobs=True,
            top_logprobs=1,
        )
    finally:
        reference.close()
    expected = [t["logprob"] for t in out["choices"][0]["logprobs"]["content"]]
    assert out["choices"][0]["message"]["content"] == text
    # one value per generated token; ours also scores the end-of-text token when it came
    assert len(got) in (len(expected), len(expected) + 1)
    assert got[: len(expected)] == pytest.approx(expected, abs=1e-3)
    assert all(lp <= 0 for lp in got)


def test_a_cut_off_answer_reports_one_value_per_token(model) -> None:
    got: list[float] = []
    model.chat(ASK, GenerationParams(max_tokens=3, temperature=0.0), logprobs=got)
    assert len(got) == 3


@pytest.mark.parametrize(
    ("params", "schema"),
    [
        (GenerationParams(max_tokens=8, temperature=0.7, seed=3), None),
        (GREEDY, {"type": "object", "properties": {"a": {"type": "string"}}}),
    ],
)
def test_logprobs_for_sampling_or_a_schema_are_refused(model, params, schema) -> None:
    with pytest.raises(InvalidRequest, match="greedy decoding only"):
        list(model.stream(ASK, params, json_schema=schema, logprobs=[]))


def test_the_resident_wrapper_passes_them_through(test_model_path: Path) -> None:
    inner = create_runtime("llamacpp", model_path=test_model_path, n_ctx=512)
    shared = ResidentModel(model=inner, keep_alive_seconds=0)
    assert shared.supports_logprobs
    got: list[float] = []
    assert shared.chat(ASK, GREEDY, logprobs=got).strip()
    assert got and all(lp <= 0 for lp in got)
    shared.close()


def test_onnx_refuses_logprobs_with_a_clear_error() -> None:
    from privsplit.edge.runtime.onnx import OnnxGenAIModel

    assert not OnnxGenAIModel.supports_logprobs
    onnx = OnnxGenAIModel.__new__(OnnxGenAIModel)  # the check runs before anything is loaded
    with pytest.raises(InvalidRequest, match="does not report token log-probabilities"):
        onnx.check_logprobs(GREEDY, None, [])
