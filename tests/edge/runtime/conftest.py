"""Fixtures for runtime tests: SmolLM2 as GGUF (llama.cpp) and converted to ONNX (cached).

The ONNX folder is converted from the verified SmolLM2 GGUF in the test run itself the first
time (~30 s, needs the ``convert`` extra) and reused afterwards: it lives in the model store,
keyed by the GGUF's sha256, and is verified file by file before use.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privsplit.shared.models import ModelStore

TEST_MODEL = "smollm2-135m-instruct-q4_1"
BACKENDS = ("llamacpp", "onnx")


@pytest.fixture(scope="session")
def onnx_test_model_dir(model_store: ModelStore, test_model_path: Path) -> Path:
    return model_store.convert(TEST_MODEL, to="onnx")


@pytest.fixture(scope="session")
def model_paths(test_model_path: Path, onnx_test_model_dir: Path) -> dict[str, Path]:
    return {"llamacpp": test_model_path, "onnx": onnx_test_model_dir}
