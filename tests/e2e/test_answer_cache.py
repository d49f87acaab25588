"""The private answer cache end to end: the real cloud process (SmolLM2) on loopback, the real
privacy engine and audit log, the CLI and the daemon as subprocesses.

A hit sends nothing (the cloud process counts no new completion, the audit log gets no record)
and restores the asking conversation's own values; an entry never holds a raw value; a
tampered entry is a miss that goes to the cloud again, never a crash or a wrong answer; the
hit shows in the result (route ``cache``), the SDK, the HTTP header and the daemon's
Prometheus counters; ``privsplit cache stats|clear`` work on the same files.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from privsplit.client import Client
from privsplit.edge.audit import verify_log
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from tests.e2e.test_audited_egress import cli, cloud_calls, records
from tests.edge.cache.conftest import decrypt_all, entry_files
from tests.edge.daemon.conftest import API_KEY, completions_done, start_daemon

pytestmark = pytest.mark.slow

ASK = "Write one short sentence greeting {name} ({email}) by name."
MARIA = {"name": "Maria Gonzalez", "email": "maria.gonzalez@example.org"}
JOHN = {"name": "John Smith", "email": "john.smith@example.com"}


def cache_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PRIVSPLIT_EDGE_CACHE__ENABLED": "true",
        "PRIVSPLIT_EDGE_CACHE__DIRECTORY": str(tmp_path / "cache"),
        "PRIVSPLIT_EDGE_CACHE__KEY_FILE": str(tmp_path / "keys" / "cache.key"),
    }


@pytest.fixture
def settings(cloud_server, tmp_path: Path) -> EdgeSettings:
    return EdgeSettings.load(
        cloud_address=cloud_server.address,
        cloud_insecure=True,
        max_tokens=16,
        pipeline={"mode": "redact"},
        daemon={"audit_dir": tmp_path / "audit"},
        cache={
            "enabled": True,
            "directory": tmp_path / "cache",
            "key_file": tmp_path / "keys" / "cache.key",
        },
    )


def swap(answer: str, old: dict, new: dict) -> str:
    return answer.replace(old["name"], new["name"]).replace(old["email"], new["email"])


async def test_a_hit_sends_nothing_and_restores_the_asking_conversations_values(
    cloud_server, settings: EdgeSettings, tmp_path: Path
) -> None:
    pipeline = build_pipeline(settings)
    try:
        before = cloud_calls(cloud_server)
        first = await pipeline.ask(ASK.format(**MARIA), vault=Vault())
        assert (first.route, first.cache) == ("cloud", "miss")
        assert cloud_calls(cloud_server, expect=before + 1) == before + 1
        assert "Maria Gonzalez" in first.answer  # SmolLM2 echoes [PERSON_1]; restored here
        second = await pipeline.ask(ASK.format(**JOHN), vault=Vault())  # another conversation
    finally:
        await pipeline.cloud.close()
    assert (second.route, second.cache, second.outbound) == ("cache", "hit", [])
    assert second.cloud_usage.completion_tokens == 0
    assert second.answer == swap(first.answer, MARIA, JOHN)  # its own values, nobody else's
    assert "Maria" not in second.answer and "maria" not in second.answer
    assert cloud_calls(cloud_server) == before + 1  # the cloud saw nothing the second time
    logged = records(tmp_path / "audit")
    assert len(logged) == 1 and logged[0]["outbound"] == first.outbound  # no record of a send
    assert verify_log(tmp_path / "audit").ok
    # what the cache holds: the sanitized question and answer, never a raw value
    (plain,) = decrypt_all(settings.cache)
    assert b"[PERSON_1]" in plain
    for value in [*MARIA.values(), *JOHN.values()]:
        assert value.encode() not in plain


async def test_a_tampered_entry_is_a_miss_that_asks_the_cloud_again(
    cloud_server, settings: EdgeSettings, caplog
) -> None:
    pipeline = build_pipeline(settings)
    try:
        first = await pipeline.ask(ASK.format(**MARIA), vault=Vault())
        (path,) = entry_files(settings.cache.directory)
        blob = bytearray(path.read_bytes())
        blob[20] ^= 0xFF
        path.write_bytes(bytes(blob))
        before = cloud_calls(cloud_server)
        again = await pipeline.ask(ASK.format(**JOHN), vault=Vault())
        assert (again.route, again.cache) == ("cloud", "miss")
        assert cloud_calls(cloud_server, expect=before + 1) == before + 1
        assert "Maria" not in again.answer
        assert any(r.getMessage() == "cache_entry_refused" for r in caplog.records)
        # the fresh answer replaced the tampered entry: the next one is a hit again
        third = await pipeline.ask(ASK.format(**MARIA), vault=Vault())
        assert third.route == "cache" and third.answer == swap(again.answer, JOHN, MARIA)
        assert first.route == "cloud"
    finally:
        await pipeline.cloud.close()


def test_cli_ask_hits_the_cache_and_cache_stats_and_clear(
    cloud_server, tmp_path: Path, test_model_path: Path
) -> None:
    env = {
        **cache_env(tmp_path),
        "PRIVSPLIT_EDGE_DAEMON__AUDIT_DIR": str(tmp_path / "audit"),
        "PRIVSPLIT_EDGE_EDGE_MODEL": str(test_model_path),
        "PRIVSPLIT_EDGE_MAX_TOKENS": "16",
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
        "COLUMNS": "400",
    }
    ask = ["ask", "--insecure", "--cloud", cloud_server.address, "--show-outbound"]
    before = cloud_calls(cloud_server)
    first = cli(*ask, ASK.format(**MARIA), env=env)
    assert first.returncode == 0, first.stderr
    second = cli(*ask, ASK.format(**JOHN), env=env)
    assert second.returncode == 0, second.stderr
    assert "nothing was sent (route=cache)" in second.stderr
    assert second.stdout.strip() == swap(first.stdout.strip(), MARIA, JOHN)
    assert cloud_calls(cloud_server, expect=before + 1) == before + 1
    assert len(records(tmp_path / "audit")) == 1
    stats = cli("cache", "stats", "--json", env=env)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert (data["entries"], data["unreadable"], data["enabled"]) == (1, 0, True)
    cleared = cli("cache", "clear", env=env)
    assert cleared.returncode == 0 and "removed 1 entries" in cleared.stdout
    assert entry_files(tmp_path / "cache") == []


def test_the_daemon_reports_hits_in_the_sdk_http_and_metrics(cloud_server, tmp_path: Path):
    (tmp_path / "d").mkdir()
    daemon = start_daemon(cloud_server.address, tmp_path / "d", env=cache_env(tmp_path))
    try:
        before = completions_done(cloud_server)
        with Client(socket_path=daemon.socket_path) as client:
            first = client.ask(ASK.format(**MARIA))
            chat = client.create_conversation()
            second = chat.ask(ASK.format(**JOHN))
        assert (first.route, second.route) == ("cloud", "cache")
        assert second.outbound == () and "John Smith" in second.text
        request = urllib.request.Request(
            f"http://127.0.0.1:{daemon.http_port}/v1/chat/completions",
            data=json.dumps(
                {
                    "model": "privsplit",
                    "messages": [{"role": "user", "content": ASK.format(**MARIA)}],
                }
            ).encode(),
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            assert reply.headers["x-privsplit-route"] == "cache"
        assert completions_done(cloud_server) == before + 1
        assert len(records(daemon.audit_dir)) == 1
        metrics = urllib.request.Request(
            f"http://127.0.0.1:{daemon.http_port}/metrics",
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        with urllib.request.urlopen(metrics, timeout=10) as reply:
            body = reply.read().decode()
        assert "privsplit_edge_cache_hits_total 2.0" in body
        assert "privsplit_edge_cache_misses_total 1.0" in body
        assert 'privsplit_edge_routes_total{route="cache"} 2.0' in body
    finally:
        assert daemon.server.stop() == 0, daemon.log_text()[-3000:]
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
