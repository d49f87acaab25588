"""One behavioural suite, run against every runtime on the same small model (SmolLM2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from privsplit.edge.runtime import LocalModel, available_runtimes, create_runtime
from privsplit.shared.errors import ConfigError, InvalidRequest, ModelNotFound
from privsplit.shared.types import GenerationParams, Message
from tests.edge.runtime.conftest import BACKENDS

pytestmark = pytest.mark.slow

N_CTX = 1024
QUESTION = [
    Message("system", "You are a concise assistant."),
    Message("user", "Name three colours of the rainbow."),
]
GREEDY = GenerationParams(max_tokens=32, temperature=0.0)


@pytest.fixture(scope="module", params=BACKENDS)
def model(request: pytest.FixtureRequest, model_paths: dict[str, Path]) -> Iterator[LocalModel]:
    # default threads: llama.cpp takes half the cores, which stays fast on a busy 2-core box
    with create_runtime(request.param, model_path=model_paths[request.param], n_ctx=N_CTX) as m:
        yield m


def test_both_backends_are_registered_and_available() -> None:
    assert set(BACKENDS) <= set(available_runtimes())


def test_unknown_runtime_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="valid runtimes: .*llamacpp.*onnx"):
        create_runtime("tensorrt", model_path="x")


def test_greedy_chat_is_deterministic_and_stream_matches(model: LocalModel) -> None:
    first = model.chat(QUESTION, GREEDY)
    pieces = list(model.stream(QUESTION, GREEDY))
    assert first.strip()
    assert len(pieces) > 3  # really streamed, not one block
    assert "".join(pieces) == first == model.chat(QUESTION, GREEDY)


def test_max_tokens_bounds_the_reply(model: LocalModel) -> None:
    short = model.chat(QUESTION, GenerationParams(max_tokens=4))
    longer = model.chat(QUESTION, GenerationParams(max_tokens=24))
    assert 1 <= model.count_tokens(short) <= 5  # re-tokenizing may merge or split one piece
    assert longer.startswith(short.rstrip()[:8]) and len(longer) > len(short)


def test_stop_sequence_ends_the_reply_before_it(model: LocalModel) -> None:
    free = model.chat(QUESTION, GenerationParams(max_tokens=40))
    words = free.split()
    assert len(words) > 4
    stop = words[3]
    stopped = model.chat(QUESTION, GenerationParams(max_tokens=40, stop=(stop,)))
    assert stop not in stopped
    assert stopped == free[: free.index(stop)]


def test_json_schema_constrains_the_output(model: LocalModel) -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "enum": ["yes", "no"]},
            "confidence": {"type": "integer"},
        },
        "required": ["answer", "confidence"],
        "additionalProperties": False,
    }
    out = model.chat(
        [Message("user", "Write a long poem about the sea.")],
        GenerationParams(max_tokens=48),
        json_schema=schema,
    )
    data = json.loads(out)
    assert set(data) == {"answer", "confidence"}
    assert data["answer"] in {"yes", "no"} and isinstance(data["confidence"], int)


def test_bad_schema_type_is_a_clear_error(model: LocalModel) -> None:
    with pytest.raises(InvalidRequest, match="json_schema"):
        model.chat(QUESTION, GREEDY, json_schema="{}")  # type: ignore[arg-type]


def test_seeded_sampling_is_reproducible(model: LocalModel) -> None:
    params = GenerationParams(max_tokens=24, temperature=0.9, top_p=0.95, seed=1234)
    assert model.chat(QUESTION, params) == model.chat(QUESTION, params)


def test_token_counting_and_context_length(model: LocalModel) -> None:
    assert model.count_tokens("") == 0
    assert model.count_tokens("Hello world") == 2  # SmolLM2's tokenizer, same on both runtimes
    assert model.count_tokens("Hello world " * 50) > 90
    assert model.context_length == N_CTX


def test_prompt_longer_than_context_is_rejected(model: LocalModel) -> None:
    huge = [Message("user", "lorem ipsum dolor " * 600)]
    with pytest.raises(InvalidRequest, match="context window"):
        model.chat(huge, GREEDY)


@pytest.mark.parametrize("backend", BACKENDS)
def test_load_close_and_reload(backend: str, model_paths: dict[str, Path]) -> None:
    m = create_runtime(backend, model_path=model_paths[backend], n_ctx=512)
    assert not m.is_loaded
    with m:
        assert m.is_loaded
        answer = m.chat(QUESTION, GenerationParams(max_tokens=8))
    assert not m.is_loaded
    assert m.chat(QUESTION, GenerationParams(max_tokens=8)) == answer  # loads again on use
    m.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_model_is_a_clear_error(backend: str, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        create_runtime(backend, model_path=tmp_path / "absent.gguf").load()


def test_count_tokens_while_streaming_in_the_same_thread(model: LocalModel) -> None:
    counts = [
        model.count_tokens(piece)
        for piece in model.stream(QUESTION, GenerationParams(max_tokens=6))
    ]
    assert counts and all(c >= 0 for c in counts)
