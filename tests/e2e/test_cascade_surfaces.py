"""Where the cascade's decision shows: the daemon (SDK, the OpenAI-compatible HTTP API, the
Prometheus counters, the audit log) and ``privsplit ask``, against a real cloud process.

Redact mode (no edge model run): exact arithmetic is the device's confident answer (route
``local``, nothing sent), and any other request is escalated (route ``cascade-escalated``:
without an edge model there is no draft to keep), which keeps these tests CPU-light.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from privsplit.client import Client
from tests.e2e.test_audited_egress import cli, cloud_calls, records
from tests.edge.daemon.conftest import API_KEY, completions_done, start_daemon

pytestmark = pytest.mark.slow

CASCADE = {"PRIVSPLIT_EDGE_PIPELINE__CASCADE": "on"}


def chat(daemon, text: str) -> str:
    """The x-privsplit-route of an OpenAI-compatible chat completion."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{daemon.http_port}/v1/chat/completions",
        data=json.dumps(
            {"model": "privsplit", "messages": [{"role": "user", "content": text}]}
        ).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as reply:
        return reply.headers["x-privsplit-route"]


def test_the_daemon_shows_local_answers_and_escalations(cloud_server, tmp_path: Path):
    (tmp_path / "d").mkdir()
    daemon = start_daemon(cloud_server.address, tmp_path / "d", env=CASCADE)
    try:
        before = completions_done(cloud_server)
        with Client(socket_path=daemon.socket_path) as client:
            local = client.ask("What is 15% of 80?")
            escalated = client.ask("Name one colour of the rainbow.")
        assert (local.route, local.outbound, local.text) == ("local", (), "15% of 80 equals 12.")
        assert escalated.route == "cascade-escalated" and escalated.outbound
        assert chat(daemon, "What is 25% of 40?") == "local"
        assert chat(daemon, "Name one planet.") == "cascade-escalated"
        assert completions_done(cloud_server) == before + 2  # the escalations only
        sent = records(daemon.audit_dir)
        assert [r["decisions"]["route"] for r in sent] == ["cascade-escalated"] * 2
        metrics = urllib.request.Request(
            f"http://127.0.0.1:{daemon.http_port}/metrics",
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        with urllib.request.urlopen(metrics, timeout=10) as reply:
            body = reply.read().decode()
        assert "privsplit_edge_cascade_local_answers_total 2.0" in body
        assert "privsplit_edge_cascade_escalations_total 2.0" in body
        assert 'privsplit_edge_routes_total{route="local"} 2.0' in body
        assert 'privsplit_edge_routes_total{route="cascade-escalated"} 2.0' in body
    finally:
        assert daemon.server.stop() == 0, daemon.log_text()[-3000:]
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)


def test_privsplit_ask_shows_the_route(cloud_server, tmp_path: Path) -> None:
    env = {
        **CASCADE,
        "PRIVSPLIT_EDGE_DAEMON__AUDIT_DIR": str(tmp_path / "audit"),
        "PRIVSPLIT_EDGE_MAX_TOKENS": "12",
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
        "COLUMNS": "400",
    }
    ask = ["ask", "--insecure", "--cloud", cloud_server.address, "--show-outbound"]
    before = cloud_calls(cloud_server)
    local = cli(*ask, "What is 15% of 80?", env=env)
    assert local.returncode == 0, local.stderr
    assert local.stdout.strip() == "15% of 80 equals 12."
    assert "nothing was sent (route=local)" in local.stderr
    assert cloud_calls(cloud_server) == before and not (tmp_path / "audit" / "egress.log").exists()
    escalated = cli(*ask, "Name one planet.", env=env)
    assert escalated.returncode == 0, escalated.stderr
    assert "route=cascade-escalated" in escalated.stderr
    assert len(records(tmp_path / "audit")) == 1
