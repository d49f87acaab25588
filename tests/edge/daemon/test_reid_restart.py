"""The re-identification budget survives a daemon restart in the middle of a conversation:
turns 1-4 go through one daemon process, turn 5 through a new one on the same state, and it is
still generalized because of what turns 1-4 sent (the spend lives in the encrypted vault)."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest

from privsplit.client import Client
from privsplit.edge.audit.log import read_records
from tests.conftest import QUASI_TURNS
from tests.edge.daemon.conftest import start_daemon

pytestmark = pytest.mark.slow
TURNS = list(QUASI_TURNS)


def test_the_spent_budget_survives_a_daemon_restart(cloud_server, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("entities:\n  LOCATION: allow\n")  # the budget decides about places
    env = {
        "PRIVSPLIT_EDGE_PRIVACY__POLICY_FILE": str(policy),
        "PRIVSPLIT_EDGE_PIPELINE__HIDE_TERMS": "false",  # else it hides the rare word "Leeds"
        "PRIVSPLIT_EDGE_MAX_TOKENS": "4",
    }
    first = start_daemon(cloud_server.address, tmp_path, env=env)
    try:
        with Client(socket_path=first.socket_path) as client:
            conv = client.create_conversation(ttl_seconds=600)
            sent = [conv.ask(t).outbound for t in TURNS[:4]]
    finally:
        assert first.server.stop() == 0
        shutil.rmtree(first.socket_path.parent, ignore_errors=True)
    assert sent == [(t,) for t in TURNS[:4]]
    # nothing about the person is written in clear in the daemon's state
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            assert b"nurse" not in path.read_bytes() and b"profession" not in path.read_bytes()
    second = start_daemon(cloud_server.address, tmp_path, env=env)
    try:
        with Client(socket_path=second.socket_path) as client:
            fifth = client.ask(TURNS[4], conversation_id=conv.id)
            fresh = client.ask(TURNS[4])  # another conversation has spent nothing
        request = urllib.request.Request(
            f"http://127.0.0.1:{second.http_port}/metrics",
            headers={"Authorization": f"Bearer {second.api_key}"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            metrics = reply.read().decode()
    finally:
        assert second.server.stop() == 0
        shutil.rmtree(second.socket_path.parent, ignore_errors=True)
    assert fifth.outbound == ("Any running clubs in the United Kingdom?",)
    assert fresh.outbound == (TURNS[4],)
    records = list(read_records(tmp_path / "audit" / "egress.log"))
    assert records[4]["conversation_id"] == conv.id
    assert records[4]["decisions"]["reid:LOCATION"] == "generalized:country"
    assert 'privsplit_edge_reid_steps_total{kind="LOCATION",step="generalized"} 1.0' in metrics
