"""Pipeline stage fixtures: the real SmolLM2 model through the llama.cpp runtime."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from privsplit.edge.pipeline import PipelineSettings
from privsplit.edge.runtime import LocalModel, create_runtime

# small budgets: the stages must run their real code paths, not write essays
FAST = dict(
    chunk_chars=600,
    chunk_overlap=50,
    max_chunks=2,
    map_max_tokens=24,
    reduce_max_tokens=32,
    plan_max_tokens=96,
    hide_max_tokens=64,
    hide_max_items=4,
    merge_max_tokens=32,
    local_max_tokens=24,
    max_subqueries=2,
)


@pytest.fixture(scope="session")
def smol(test_model_path: Path) -> Iterator[LocalModel]:
    model = create_runtime("llamacpp", model_path=test_model_path, n_ctx=2048)
    with model:
        yield model


@pytest.fixture
def fast_settings() -> PipelineSettings:
    return PipelineSettings(**FAST)
