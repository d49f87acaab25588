"""``reader_model``: a second local model reads attached documents while the edge model runs
the other steps (issue 19: the demo reads with the 1.5B model and hides and answers with the
0.5B). Real SmolLM2 files on both sides: the registered name as the edge model and the same
file by path as the reader, so they are two models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings

from .conftest import FAST

pytestmark = pytest.mark.slow

TEST_MODEL = "smollm2-135m-instruct-q4_1"
RECORD = (
    "Visit notes. The patient reports mild fatigue. " * 20
    + "CT of the spine was done with the contrast agent Omnipaque 240. "
    + "Blood pressure was normal at every visit. " * 20
)
QUESTION = "Which contrast agent was used for the CT of the spine?"


def _settings(reader: str, **pipeline) -> EdgeSettings:
    return EdgeSettings.load(
        edge_model=TEST_MODEL,
        reader_model=reader,
        pipeline={**FAST, "hide_with_model": False, "decompose": "never", **pipeline},
    )


def test_the_reader_reads_the_documents_and_the_edge_model_is_not_loaded_for_it(
    test_model_path: Path,
) -> None:
    pipeline = build_pipeline(_settings(str(test_model_path)), offline=True)
    assert pipeline.reader is not None and pipeline.reader is not pipeline.local
    plan = pipeline.plan_request(QUESTION, Vault(), documents=[RECORD])
    assert plan.private_context  # notes were written
    assert pipeline.reader.stats().loads == 1  # by the reader
    assert pipeline.local.stats().loads == 0  # no edge step needed a model here
    asyncio.run(pipeline.aclose())  # closes both
    assert not pipeline.reader.is_loaded and not pipeline.local.is_loaded


@pytest.mark.parametrize("reader", ["", TEST_MODEL])
def test_no_reader_or_the_edge_model_itself_means_one_model(reader: str) -> None:
    pipeline = build_pipeline(_settings(reader), offline=True)
    assert pipeline.reader is None and pipeline.reading_model is pipeline.local
    pipeline.plan_request(QUESTION, Vault(), documents=[RECORD])
    assert pipeline.local.stats().loads == 1
    asyncio.run(pipeline.aclose())
