"""The re-identification budget in the pipeline: turn 5 of a conversation is generalized
because of what turns 1-4 sent, the audit record says so, a block sends nothing, and
``privsplit plan`` shows the generalizations. Real privacy engine, real audit log, the real
cloud process (SmolLM2) on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from privsplit.edge.audit.log import read_records
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ReidBudgetExceeded
from tests.conftest import QUASI_TURNS

# the budget, not the detectors, decides about places here (LOCATION: allow)
POLICY = "entities:\n  LOCATION: allow\n"
TURNS = list(QUASI_TURNS)


def _settings(tmp_path: Path, policy: str, **extra: object) -> EdgeSettings:
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    return EdgeSettings.load(
        privacy={"policy_file": str(path)},
        pipeline={"mode": "redact", "hide_terms": False},
        cache={"enabled": False},
        daemon={"audit_dir": str(tmp_path / "audit")},
        max_tokens=4,
        **extra,
    )


@pytest.mark.slow
async def test_turn_five_is_generalized_and_the_audit_record_says_so(
    cloud_server, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, POLICY, cloud_address=cloud_server.address, cloud_insecure=True)
    pipeline = build_pipeline(settings)
    vault = Vault()
    try:
        results = [await pipeline.ask(t, vault=vault, conversation_id="c1") for t in TURNS]
    finally:
        await pipeline.cloud.close()
    assert [r.outbound for r in results[:4]] == [[t] for t in TURNS[:4]]
    assert results[4].outbound == ["Any running clubs in the United Kingdom?"]
    assert results[4].reid["reid:LOCATION"] == "generalized:country"  # the caller sees it too
    assert float(results[4].reid["reid_spent_bits"]) <= float(results[4].reid["reid_budget_bits"])
    records = list(read_records(tmp_path / "audit" / "egress.log"))
    assert len(records) == 5
    spent = [float(r["decisions"]["reid_spent_bits"]) for r in records]
    assert spent == sorted(spent) and spent[-1] <= 26.0
    assert records[4]["decisions"]["reid:LOCATION"] == "generalized:country"
    # the record says that echoes of the generalized value are restored in the answer
    assert records[4]["decisions"]["reid_restore"] == "echoes"
    assert int(results[4].reid["reid_echoes"]) >= 0
    assert not any(k.startswith("reid:") for r in records[:4] for k in r["decisions"])
    assert "Leeds" not in json.dumps(records)


@pytest.mark.slow
async def test_an_echo_of_a_generalized_value_comes_back_in_the_answer(
    cloud_server, tmp_path: Path
) -> None:
    """The answer cache (a real part) holds the cloud's answer to the budgeted text; asked
    again, the pipeline restores the echo addressed to the user and nothing else."""
    from privsplit.edge.pipeline.delegate import CloudAnswer
    from privsplit.shared.types import Usage

    policy = "entities:\n  LOCATION: allow\n  ORGANIZATION: allow\nreid_budget_bits: 10\n"
    settings = _settings(tmp_path, policy, cloud_address=cloud_server.address, cloud_insecure=True)
    settings.cache.enabled, settings.cache.directory = True, tmp_path / "cache"
    pipeline = build_pipeline(settings)
    text = "I'm 37 years old and I work at Google."
    try:
        (sent,) = pipeline.plan(text, Vault())
        assert sent == "I'm 30-39 years old and I work at a technology company."
        cloud_says = (
            "Since you work at a technology company, stand up every hour. "
            "Many people who work at a technology company sit all day."
        )
        await pipeline.delegator.remember([CloudAnswer(sent, cloud_says, Usage())], Vault())
        result = await pipeline.ask(text, vault=Vault(), conversation_id="c2")
    finally:
        await pipeline.cloud.close()
    assert result.route == "cache"
    assert result.answer == (
        "Since you work at Google, stand up every hour. "
        "Many people who work at a technology company sit all day."
    )
    assert result.reid["reid_echoes"] == "1" and result.reid["reid_restore"] == "echoes"


async def test_over_budget_in_block_mode_sends_nothing(tmp_path: Path) -> None:
    # port 9 (discard): a request that got past the budget would fail to connect instead
    settings = _settings(
        tmp_path,
        POLICY + "reid_budget_bits: 8\nreid_over_budget: block\n",
        cloud_address="127.0.0.1:9",
        cloud_insecure=True,
    )
    pipeline = build_pipeline(settings)
    vault = Vault()
    try:
        with pytest.raises(ReidBudgetExceeded) as caught:
            await pipeline.ask("A nurse in Leeds asks about running clubs.", vault=vault)
    finally:
        await pipeline.cloud.close()
    assert set(caught.value.entity_types) <= {"LOCATION", "PROFESSION"}
    assert list(read_records(tmp_path / "audit" / "egress.log")) == []
    assert vault.revealed() == {}  # nothing was released, nothing is spent


def test_privsplit_plan_shows_the_generalizations(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    config = tmp_path / "edge.yaml"
    config.write_text(
        f"privacy:\n  policy_file: {policy}\npipeline:\n  mode: redact\n  hide_terms: false\n"
    )
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        {"id": "kept", "text": "I am 37 years old and I need advice on stretching routines."},
        {
            "id": "story",
            "text": "A 37-year-old ballet dancer in Leeds whose daughter was born on 4 March 2019.",
        },
    ]
    source.write_text("".join(json.dumps(x) + "\n" for x in lines))
    done = subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", "plan", "--input", str(source)]
        + ["--output", str(out), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    kept, story = (json.loads(x) for x in out.read_text().splitlines())
    assert kept["outbound"] == [lines[0]["text"]]  # an age alone identifies nobody: it stays
    assert kept["reid"]["reid_spent_bits"] == "6.1" and "reid:AGE" not in kept["reid"]
    # the greedy step that saves most first: the rare profession, then the exact age
    assert story["outbound"][0].startswith("A 30-39-year-old performing artist in ")
    assert story["reid"]["reid:PROFESSION"] == "generalized:field"
    assert story["reid"]["reid:AGE"] == "generalized:band"
    assert float(story["reid"]["reid_spent_bits"]) <= 26.0
