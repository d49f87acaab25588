"""What the daemon tells apps while and after it works, over a real daemon process on loopback:

- reading progress: an SDK stream over a document of a few chunks gets ``progress`` events
  (chunks read / to read, elapsed seconds, an ETA) before the answer, in split mode with
  SmolLM2 as the edge model; a client that does not ask for them (as one that predates them)
  gets none;
- the re-identification budget: the SDK's ``Answer.reid`` and the HTTP API's ``privsplit.reid``
  carry the spent and budget bits and what was generalized, and never a value the user wrote
  (hostile: a conversation that reveals an age, a profession and a city).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from privsplit.client import Client
from privsplit.shared.errors import ReidBudgetExceeded
from tests.conftest import QUASI_TURNS
from tests.edge.daemon.conftest import start_daemon

pytestmark = pytest.mark.slow

DOCUMENT = "\n\n".join(
    [
        "Visit on 3 March 2021. The patient reported mild headaches after long shifts. "
        "Blood pressure was 128/82 and the heart rate 71. No change to the medication.",
        "Imaging on 9 April 2021. A CT of the abdomen was done with Omnipaque 350 as the "
        "contrast agent. No reaction to the contrast was recorded by the radiology nurse.",
        "Laboratory on 2 May 2021. Potassium 4.1 mmol/L, creatinine 0.9 mg/dL, hemoglobin "
        "13.2 g/dL. The results were discussed with the patient by telephone the next day.",
        "Follow-up on 20 June 2021. The headaches resolved. The patient will return in six "
        "months, or earlier if the symptoms come back. Sleep hygiene advice was given.",
    ]
)
TURNS = list(QUASI_TURNS)
PRIVATE = ("37", "Leeds", "nurse", "woman", "daughter")


def test_progress_events_reach_an_sdk_stream(cloud_server, test_model_path: Path, tmp_path):
    daemon = start_daemon(
        cloud_server.address,
        tmp_path,
        env={
            "PRIVSPLIT_EDGE_PIPELINE__MODE": "split",
            "PRIVSPLIT_EDGE_EDGE_MODEL": str(test_model_path),
            "PRIVSPLIT_EDGE_PIPELINE__RETRIEVAL": "off",  # read every chunk
            "PRIVSPLIT_EDGE_PIPELINE__CHUNK_CHARS": "200",
            "PRIVSPLIT_EDGE_PIPELINE__CHUNK_OVERLAP": "0",
            "PRIVSPLIT_EDGE_PIPELINE__MAP_MAX_TOKENS": "8",
            "PRIVSPLIT_EDGE_PIPELINE__HIDE_WITH_MODEL": "false",
            "PRIVSPLIT_EDGE_PIPELINE__PLAN_MAX_TOKENS": "24",
            "PRIVSPLIT_EDGE_PIPELINE__MERGE": "restore",
            "PRIVSPLIT_EDGE_MAX_TOKENS": "4",
        },
    )
    try:
        with Client(socket_path=daemon.socket_path) as client:
            events = list(client.stream("Which contrast agent was used?", documents=[DOCUMENT]))
            quiet = list(
                client.stream("Which contrast agent?", documents=[DOCUMENT], progress=False)
            )
    finally:
        daemon.server.stop()
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
    kinds = [e.kind for e in events]
    progress = [e.progress for e in events if e.kind == "progress"]
    assert progress, kinds
    assert kinds.index("progress") < kinds.index("done")
    assert {p.stage for p in progress} == {"read"}
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    last = progress[-1]
    assert last.done == last.total >= 4 and last.eta_seconds == 0.0  # every chunk was read
    assert progress[0].done == 0 and progress[0].eta_seconds is None  # nothing to go by yet
    assert any(p.eta_seconds and p.eta_seconds > 0 for p in progress[1:-1])
    assert all(p.elapsed_seconds >= 0 for p in progress)
    assert events[-1].kind == "done"
    assert "progress" not in [e.kind for e in quiet] and quiet[-1].kind == "done"


def _post(daemon, body: dict, conversation: str) -> tuple[bytes, dict]:
    request = urllib.request.Request(
        f"{daemon.http_base}/chat/completions",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {daemon.api_key}",
            "Content-Type": "application/json",
            "X-Privsplit-Conversation": conversation,
        },
    )
    with urllib.request.urlopen(request, timeout=120) as reply:
        return reply.read(), dict(reply.headers)


def _strings(risk: object) -> str:
    """Every text in a risk report (kinds, actions, levels, keys): where a value could hide."""
    if isinstance(risk, dict):
        return " ".join(f"{k} {_strings(v)}" for k, v in risk.items())
    if isinstance(risk, list | tuple):
        return " ".join(_strings(v) for v in risk)
    return risk if isinstance(risk, str) else ""


def _budget_daemon(cloud_server, tmp_path, policy_yaml: str):
    """A daemon under ``policy_yaml``, term pass off, answers cut at 4 tokens."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_yaml)
    return start_daemon(
        cloud_server.address,
        tmp_path,
        env={
            "PRIVSPLIT_EDGE_PRIVACY__POLICY_FILE": str(policy),
            "PRIVSPLIT_EDGE_PIPELINE__HIDE_TERMS": "false",
            "PRIVSPLIT_EDGE_MAX_TOKENS": "4",
        },
    )


def test_the_budget_reaches_the_sdk_and_the_http_api_without_a_value(cloud_server, tmp_path):
    # the budget decides about places
    daemon = _budget_daemon(cloud_server, tmp_path, "entities:\n  LOCATION: allow\n")
    try:
        with Client(socket_path=daemon.socket_path) as client:
            conv = client.create_conversation(ttl_seconds=600)
            answers = [conv.ask(t) for t in TURNS]
            plan = client.plan(TURNS[-1], conversation_id=conv.id)
            http_conv = client.create_conversation(ttl_seconds=600)
            for turn in TURNS[:-1]:
                _post(
                    daemon,
                    {"model": "privsplit", "messages": [{"role": "user", "content": turn}]},
                    http_conv.id,
                )
            body, _ = _post(
                daemon,
                {"model": "privsplit", "messages": [{"role": "user", "content": TURNS[-1]}]},
                http_conv.id,
            )
            stream_conv = client.create_conversation(ttl_seconds=600)
            for turn in TURNS[:-1]:
                stream_conv.ask(turn)
            streamed, _ = _post(
                daemon,
                {
                    "model": "privsplit",
                    "stream": True,
                    "messages": [{"role": "user", "content": TURNS[-1]}],
                },
                stream_conv.id,
            )
    finally:
        daemon.server.stop()
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
    first, fifth = answers[0].reid, answers[-1].reid
    assert first is not None and fifth is not None
    assert fifth.budget_bits == 26.0
    assert first.spent_bits < fifth.spent_bits <= fifth.budget_bits
    assert fifth.remaining_bits == pytest.approx(fifth.budget_bits - fifth.spent_bits, abs=0.02)
    assert answers[-1].outbound == ("Any running clubs in the United Kingdom?",)
    assert [(s.kind, s.action, s.level) for s in fifth.steps] == [
        ("LOCATION", "generalized", "country")
    ]
    assert plan.reid is not None and plan.reid.budget_bits == 26.0
    reply = json.loads(body)
    risk = reply["privsplit"]["reid"]
    assert risk["steps"] == [{"kind": "LOCATION", "action": "generalized", "level": "country"}]
    assert 0 < risk["spent_bits"] <= risk["budget_bits"] == 26.0
    last = [
        json.loads(line[6:])
        for line in streamed.decode().splitlines()
        if line.startswith("data: {")
    ]
    streamed_risk = next(c["privsplit"]["reid"] for c in last if "privsplit" in c)
    assert streamed_risk["steps"] == risk["steps"]
    texts = " ".join(
        [
            repr([(s.kind, s.action, s.level) for r in (first, fifth, plan.reid) for s in r.steps]),
            _strings(risk),
            _strings(streamed_risk),
        ]
    )
    for value in PRIVATE:
        assert value not in texts


def test_a_budget_block_names_the_kinds_and_no_value(cloud_server, tmp_path) -> None:
    daemon = _budget_daemon(
        cloud_server, tmp_path, "reid_budget_bits: 2\nreid_over_budget: block\n"
    )
    try:
        with Client(socket_path=daemon.socket_path) as client:
            with pytest.raises(ReidBudgetExceeded) as refused:
                client.ask(TURNS[0])
    finally:
        daemon.server.stop()
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
    assert refused.value.entity_types == ("AGE",)
    assert "37" not in str(refused.value)
