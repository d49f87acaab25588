"""From settings to a verified model and its runtime: registered names and custom paths."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from privsplit.edge.runtime.resolve import open_local_model, resolve_model
from privsplit.edge.runtime.settings import RuntimeSettings
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ConfigError, ModelNotFound, ModelVerificationError
from privsplit.shared.models import ModelStore
from privsplit.shared.types import GenerationParams, Message

TEST_MODEL = "smollm2-135m-instruct-q4_1"


@pytest.fixture(scope="module")
def test_model_sha256(test_model_path: Path) -> str:
    return hashlib.sha256(test_model_path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("backend", "runtime"), [("auto", "llamacpp"), ("llamacpp", "llamacpp"), ("onnx", "onnx")]
)
def test_registered_name_resolves_per_backend(
    backend: str, runtime: str, model_store: ModelStore, onnx_test_model_dir: Path
) -> None:
    resolved = resolve_model(
        ref=TEST_MODEL, settings=RuntimeSettings(backend=backend), store=model_store
    )
    assert resolved.runtime == runtime
    assert resolved.path == (
        onnx_test_model_dir if runtime == "onnx" else model_store.path(TEST_MODEL)
    )


def test_onnx_backend_without_conversion_says_how_to_convert(
    tmp_path: Path, test_model_path: Path
) -> None:
    store = ModelStore(root=tmp_path)
    shutil.copyfile(test_model_path, store.file_for(store.registry.get(TEST_MODEL)))
    with pytest.raises(ModelNotFound, match="privsplit models convert"):
        resolve_model(ref=TEST_MODEL, settings=RuntimeSettings(backend="onnx"), store=store)


def test_custom_gguf_path_is_verified_against_its_pin(
    tmp_path: Path, test_model_path: Path, test_model_sha256: str, model_store: ModelStore
) -> None:
    custom = tmp_path / "mine.gguf"
    shutil.copyfile(test_model_path, custom)
    ok = resolve_model(
        ref=str(custom), settings=RuntimeSettings(model_sha256=test_model_sha256), store=model_store
    )
    assert (ok.runtime, ok.path) == ("llamacpp", custom)
    with pytest.raises(ModelVerificationError, match="model_sha256"):
        resolve_model(
            ref=str(custom), settings=RuntimeSettings(model_sha256="0" * 64), store=model_store
        )


def test_custom_onnx_folder_with_a_manifest_is_verified(
    tmp_path: Path, onnx_test_model_dir: Path, model_store: ModelStore
) -> None:
    folder = tmp_path / "custom-onnx"
    shutil.copytree(onnx_test_model_dir, folder)
    assert (
        resolve_model(ref=str(folder), settings=RuntimeSettings(), store=model_store).runtime
        == "onnx"
    )
    (folder / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelVerificationError, match="tokenizer.json"):
        resolve_model(ref="unused", settings=RuntimeSettings(onnx_dir=folder), store=model_store)


@pytest.mark.parametrize(
    ("ref", "settings", "error", "match"),
    [
        ("no-such-model", {}, ModelNotFound, "known models"),
        ("/nonexistent/model.gguf", {}, ModelNotFound, "does not exist"),
        (TEST_MODEL, {"backend": "tensorrt"}, ConfigError, "valid: auto, llamacpp, onnx"),
        ("en-core-web-sm", {}, ConfigError, "not a language model"),
    ],
)
def test_bad_references_are_clear_errors(
    ref: str, settings: dict, error: type, match: str, model_store: ModelStore
) -> None:
    with pytest.raises(error, match=match):
        resolve_model(ref=ref, settings=RuntimeSettings(**settings), store=model_store)


def test_path_of_the_wrong_kind(
    tmp_path: Path, test_model_path: Path, model_store: ModelStore
) -> None:
    with pytest.raises(ConfigError, match="neither a .gguf file nor"):
        resolve_model(ref=str(tmp_path), settings=RuntimeSettings(), store=model_store)
    with pytest.raises(ConfigError, match="loads onnx models"):
        resolve_model(
            ref=str(test_model_path), settings=RuntimeSettings(backend="onnx"), store=model_store
        )


def test_runtime_section_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVSPLIT_EDGE_RUNTIME__BACKEND", "onnx")
    monkeypatch.setenv("PRIVSPLIT_EDGE_RUNTIME__KEEP_ALIVE_SECONDS", "12.5")
    settings = EdgeSettings.load()
    assert (settings.runtime.backend, settings.runtime.keep_alive_seconds) == ("onnx", 12.5)
    monkeypatch.setenv("PRIVSPLIT_EDGE_RUNTIME__MAX_QUEUE", "-1")
    with pytest.raises(ConfigError, match="runtime.max_queue"):
        EdgeSettings.load()


@pytest.mark.slow
def test_open_local_model_is_lazy_and_answers(
    model_store: ModelStore, onnx_test_model_dir: Path
) -> None:
    model = open_local_model(
        ref=TEST_MODEL, settings=RuntimeSettings(backend="onnx", n_ctx=512), store=model_store
    )
    assert not model.is_loaded
    assert model.chat([Message("user", "Say hi.")], GenerationParams(max_tokens=4))
    assert model.stats().loads == 1
    model.close()


@pytest.mark.slow
def test_runtime_threads_apply_to_prompt_evaluation_too(model_store: ModelStore) -> None:
    """runtime.n_threads=1 means one thread: llama.cpp's prompt evaluation would otherwise
    take every core (and spin on a busy machine); unset keeps llama.cpp's own defaults."""
    one = open_local_model(
        ref=TEST_MODEL, settings=RuntimeSettings(n_threads=1, n_ctx=512), store=model_store
    )
    one.load()
    params = one.model._llm.context_params
    assert (params.n_threads, params.n_threads_batch) == (1, 1)
    one.close()
    default = open_local_model(
        ref=TEST_MODEL, settings=RuntimeSettings(n_ctx=512), store=model_store
    )
    assert default.model.n_threads is None and default.model.n_threads_batch is None
