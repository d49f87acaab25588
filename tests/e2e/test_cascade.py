"""The confidence cascade end to end: the edge model (SmolLM2) drafts, a real cloud process
(SmolLM2, ``privsplit cloud serve``) on loopback answers what the device does not keep, and
the real audit log records every send.

A request answered on the device sends nothing: the cloud process counts no new completion
and the audit log gets no record. An escalated request is audited as a send with route
``cascade-escalated``. The threshold decides: the same request is kept just below its
measured confidence and escalated just above it. Both branches stream, and the draft of an
escalated request is never shown unless ``cascade_show_draft`` asks for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privsplit.edge.pipeline.cascade import draft
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.runtime import create_runtime
from privsplit.edge.settings import EdgeSettings
from tests.e2e.test_audited_egress import cloud_calls, records

pytestmark = pytest.mark.slow

ASK = "What colour is the sky on a clear day?"
DRAFT_TOKENS = 48


@pytest.fixture(scope="module")
def confidence(test_model_path: Path) -> float:
    """The draft's measured confidence for ASK (greedy: the pipeline's draft is the same)."""
    with create_runtime("llamacpp", model_path=test_model_path, n_ctx=2048) as model:
        d = draft(model, ASK, max_tokens=DRAFT_TOKENS, max_input_chars=2000)
    assert d.finished, "SmolLM2 must finish this draft for the test to mean anything"
    return d.confidence


def settings_for(cloud_server, tmp_path: Path, test_model_path: Path, **cascade) -> EdgeSettings:
    return EdgeSettings.load(
        cloud_address=cloud_server.address,
        cloud_insecure=True,
        edge_model="smollm2-135m-instruct-q4_1",
        max_tokens=16,
        runtime={"n_ctx": 2048},
        pipeline={
            "mode": "split",
            "hide_with_model": False,  # CPU-light: the detectors and the term pass still run
            "cascade": "on",
            "cascade_max_tokens": DRAFT_TOKENS,
            **cascade,
        },
        daemon={"audit_dir": tmp_path / "audit"},
    )


async def run(settings: EdgeSettings, text: str = ASK):
    pipeline = build_pipeline(settings)
    events = []
    try:
        async for event in pipeline.stream(text, vault=Vault()):
            events.append(event)
    finally:
        await pipeline.aclose()
    return events, events[-1].result


async def test_a_confident_draft_is_the_answer_and_nothing_is_sent(
    cloud_server, tmp_path: Path, test_model_path: Path, confidence: float
) -> None:
    before = cloud_calls(cloud_server)
    settings = settings_for(
        cloud_server, tmp_path, test_model_path, cascade_threshold=confidence - 0.01
    )
    events, result = await run(settings)
    assert (result.route, result.cascade, result.outbound) == ("local", "local", [])
    assert result.cloud_usage.prompt_tokens == 0
    deltas = [e.text for e in events if e.kind == "delta"]
    assert deltas and "".join(deltas) == result.answer and result.answer.strip()
    assert [e.outbound for e in events if e.kind == "outbound"] == [()]
    assert cloud_calls(cloud_server) == before  # the cloud saw nothing
    assert records(tmp_path / "audit") == []  # and there is no record of a send


async def test_a_draft_below_the_threshold_is_escalated_and_audited(
    cloud_server, tmp_path: Path, test_model_path: Path, confidence: float
) -> None:
    before = cloud_calls(cloud_server)
    settings = settings_for(
        cloud_server, tmp_path, test_model_path, cascade_threshold=min(0.0, confidence + 0.01)
    )
    events, result = await run(settings)
    assert (result.route, result.cascade) == ("cascade-escalated", "escalated")
    assert result.outbound == [ASK] and result.cloud_usage.completion_tokens > 0
    assert cloud_calls(cloud_server, expect=before + 1) == before + 1
    (record,) = records(tmp_path / "audit")
    assert record["outbound"] == [ASK]
    assert record["decisions"]["route"] == "cascade-escalated"
    assert [e.kind for e in events].count("draft") == 0  # the draft is not shown
    deltas = [e.text for e in events if e.kind == "delta"]
    assert "".join(deltas) == result.answer and result.draft == ""


async def test_the_draft_of_an_escalated_request_is_shown_only_when_asked(
    cloud_server, tmp_path: Path, test_model_path: Path
) -> None:
    settings = settings_for(
        cloud_server, tmp_path, test_model_path, cascade_threshold=0.0, cascade_show_draft=True
    )
    events, result = await run(settings)
    assert result.route == "cascade-escalated"
    (shown,) = [e for e in events if e.kind == "draft"]
    kinds = [e.kind for e in events]
    assert kinds.index("draft") < kinds.index("outbound")  # before the cloud's answer
    assert shown.text.strip() and result.draft == shown.text


async def test_exact_arithmetic_stays_on_the_device_without_a_model_run(
    cloud_server, tmp_path: Path, test_model_path: Path
) -> None:
    before = cloud_calls(cloud_server)
    settings = settings_for(cloud_server, tmp_path, test_model_path, cascade_threshold=-0.01)
    _, result = await run(settings, "What is 15% of 80?")
    assert (result.route, result.answer) == ("local", "15% of 80 equals 12.")
    assert cloud_calls(cloud_server) == before and records(tmp_path / "audit") == []


async def test_off_for_a_kind_of_request_sends_it_as_before(
    cloud_server, tmp_path: Path, test_model_path: Path
) -> None:
    settings = settings_for(
        cloud_server,
        tmp_path,
        test_model_path,
        cascade_threshold=-100.0,
        cascade_overrides={"plain": "off"},
    )
    _, result = await run(settings, "What is 15% of 80?")
    assert (result.route, result.cascade) == ("cloud", "")  # not drafted, not escalated
    assert len(records(tmp_path / "audit")) == 1


async def test_an_answer_in_the_cache_is_not_drafted_again(
    cloud_server, tmp_path: Path, test_model_path: Path
) -> None:
    settings = settings_for(cloud_server, tmp_path, test_model_path, cascade_threshold=0.0)
    settings = settings.model_copy(
        update={
            "cache": settings.cache.model_copy(
                update={
                    "enabled": True,
                    "directory": tmp_path / "cache",
                    "key_file": tmp_path / "keys" / "cache.key",
                }
            )
        }
    )
    first_events, first = await run(settings)
    again_events, again = await run(settings)
    assert first.route == "cascade-escalated" and "draft" in [e.stage for e in first_events]
    assert (again.route, again.cache, again.cascade) == ("cache", "hit", "")
    assert "draft" not in [e.stage for e in again_events]  # a look-up, not a model run
    assert len(records(tmp_path / "audit")) == 1
