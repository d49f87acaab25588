"""The split end to end with real parts: edge (SmolLM2 via llama.cpp, Presidio) -> a real
cloud process (grpc.aio + llama.cpp) on loopback -> local merge -> restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from privsplit.edge.egress import OutboundBatch
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import PrivacyBlocked

pytestmark = pytest.mark.slow

FAST = dict(
    chunk_chars=600,
    chunk_overlap=50,
    max_chunks=2,
    map_max_tokens=24,
    reduce_max_tokens=32,
    plan_max_tokens=96,
    hide_max_tokens=48,
    hide_max_items=4,
    merge_max_tokens=32,
    max_subqueries=2,
    merge="model",
    plan_can_stay_local=False,
)
PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org", "415-555-0134")
QUESTION = (
    "Maria Gonzalez (maria.gonzalez@example.org, 415-555-0134) asks which contrast agent "
    "was used for her spine CT. Answer her in one sentence."
)
RECORD = (
    "Visit notes for Maria Gonzalez. Mild fatigue, normal blood pressure. " * 12
    + "CT of the spine was done with the contrast agent Omnipaque 240. "
    + "Follow-up in three months; call 415-555-0134 to confirm. " * 12
)


@pytest.fixture
def settings(cloud_server, test_model_path) -> EdgeSettings:
    return EdgeSettings.load(
        cloud_address=cloud_server.address,
        cloud_insecure=True,
        max_tokens=32,
        edge_model=str(test_model_path),
        pipeline=FAST,
    )


def _completions(cloud_server) -> int:
    return sum('"completion_done"' in line for line in cloud_server.log_lines())


async def test_split_streams_stages_sends_only_sanitized_text_and_merges(
    settings, cloud_server
) -> None:
    pipeline = build_pipeline(settings)
    seen: list[OutboundBatch] = []

    async def audit(batch: OutboundBatch) -> None:
        seen.append(batch)

    vault = Vault()
    before = _completions(cloud_server)
    try:
        events = [
            e
            async for e in pipeline.stream(
                QUESTION, vault=vault, documents=[RECORD], request_id="r-1", extra_hooks=[audit]
            )
        ]
    finally:
        await pipeline.cloud.close()
    kinds = [e.kind if e.kind != "stage" else e.stage for e in events]
    reading = [e.progress for e in events if e.kind == "progress"]  # while summarize reads
    assert reading and reading[-1].done == reading[-1].total >= 1
    assert kinds.index("summarize") < kinds.index("progress") < kinds.index("hide")
    kinds = [k for k in kinds if k != "progress"]
    assert kinds[:4] == ["summarize", "hide", "plan", "guard"]  # each step emits its event
    assert (
        kinds.index("outbound")
        < kinds.index("delegate")
        < kinds.index("merge")
        < kinds.index("done")
    )
    assert kinds[-1] == "done" and "delta" in kinds
    result = events[-1].result
    outbound = [e for e in events if e.kind == "outbound"][0].outbound
    # the hook saw exactly what was sent, once, before anything was sent
    assert len(seen) == 1 and seen[0].outbound == outbound == tuple(result.outbound)
    assert seen[0].request_id == "r-1"
    assert 1 <= len(result.outbound) <= FAST["max_subqueries"]
    assert _completions(cloud_server) - before == len(result.outbound)  # one call per sub-query
    sent = "\n".join(result.outbound).casefold()
    for value in PRIVATE:
        assert value.casefold() not in sent
    for _, value in vault.values():
        assert value.casefold() not in sent
    assert result.route == "cloud" and result.answer == "".join(
        e.text for e in events if e.kind == "delta"
    )
    assert result.answer.strip() and "[PERSON_1]" not in result.answer
    assert result.cloud_usage.prompt_tokens > 0 and result.cloud_usage.completion_tokens > 0
    assert 0 < result.seconds_edge < result.seconds_total
    assert result.local_context == "" or "Maria Gonzalez" not in result.local_context
    cloud_log = "\n".join(cloud_server.log_lines())
    for value in PRIVATE:
        assert value not in cloud_log


async def test_a_hook_that_refuses_stops_the_request_before_anything_is_sent(
    settings, cloud_server
) -> None:
    pipeline = build_pipeline(
        settings.model_copy(
            update={"pipeline": settings.pipeline.model_copy(update={"hide_with_model": False})}
        )
    )

    async def refuse(batch: OutboundBatch) -> None:
        raise PrivacyBlocked("approval rejected")

    before = _completions(cloud_server)
    try:
        with pytest.raises(PrivacyBlocked, match="approval rejected"):
            await pipeline.ask("Say hello to Maria Gonzalez.", extra_hooks=[refuse])
    finally:
        await pipeline.cloud.close()
    assert _completions(cloud_server) == before


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )


def test_ask_and_plan_batches_write_the_documented_lines(
    cloud_server, test_model_path, tmp_path
) -> None:
    env = {
        "PRIVSPLIT_EDGE_EDGE_MODEL": str(test_model_path),
        "PRIVSPLIT_EDGE_MAX_TOKENS": "24",
        **{f"PRIVSPLIT_EDGE_PIPELINE__{k.upper()}": str(v) for k, v in FAST.items()},
    }
    requests = tmp_path / "in.jsonl"
    requests.write_text(
        json.dumps(
            {"id": "q1", "text": "Email Maria Gonzalez at maria.gonzalez@example.org to say hello."}
        )
        + "\n"
    )
    answers = tmp_path / "out.jsonl"
    proc = _cli(
        "ask",
        "--insecure",
        "--cloud",
        cloud_server.address,
        "--input",
        str(requests),
        "--output",
        str(answers),
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    line = json.loads(answers.read_text())
    assert set(line) == {"id", "answer", "route", "outbound", "cloud_tokens", "seconds"}
    assert line["id"] == "q1" and line["route"] == "cloud" and line["answer"].strip()
    assert (
        set(line["cloud_tokens"]) == {"prompt", "completion"} and line["cloud_tokens"]["prompt"] > 0
    )
    assert set(line["seconds"]) == {"edge", "total"} and line["seconds"]["total"] > 0
    assert "maria.gonzalez@example.org" not in json.dumps(line["outbound"])

    plans = tmp_path / "plans.jsonl"
    proc = _cli("plan", "--input", str(requests), "--output", str(plans), env=env)
    assert proc.returncode == 0, proc.stderr
    planned = json.loads(plans.read_text())
    reid = planned.pop("reid")  # the re-identification budget's spend (docs/reid.md)
    assert planned == {"id": "q1", "route": "cloud", "outbound": line["outbound"]}  # deterministic
    assert float(reid["reid_spent_bits"]) <= float(reid["reid_budget_bits"])

    requests.write_text('{"id": "q1", "text": "fine"}\n{"id": "q2"}\n')
    proc = _cli("plan", "--input", str(requests), "--output", str(plans), env=env)
    assert proc.returncode == 2 and "line 2" in proc.stderr and "Traceback" not in proc.stderr


def test_raw_baseline_is_labelled_and_sends_the_text_as_is(cloud_server, tmp_path) -> None:
    proc = _cli(
        "ask",
        "--insecure",
        "--cloud",
        cloud_server.address,
        "--raw",
        "--show-outbound",
        "Say hello to Maria Gonzalez.",
        env={"PRIVSPLIT_EDGE_MAX_TOKENS": "16"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "NO PROTECTION" in proc.stderr
    assert "Maria Gonzalez" in proc.stderr.split("sent to cloud (NO PROTECTION)", 1)[1]
