"""The daemon's parts in process: conversations (encrypted persistence, expiry), approvals,
settings validation, the vault key file."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from privsplit.edge.daemon.approvals import ApprovalBroker
from privsplit.edge.daemon.conversations import ConversationManager
from privsplit.edge.daemon.vaults import build_vault_store, load_or_create_key
from privsplit.edge.egress import OutboundBatch
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ApprovalRejected, ConfigError, InvalidRequest, NotFound


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _manager(tmp_path: Path, clock: Clock, ttl: int = 60) -> ConversationManager:
    return ConversationManager(
        store=build_vault_store(tmp_path / "state", tmp_path / "key" / "vault.key"),
        index_path=tmp_path / "state" / "conversations.json",
        default_ttl_seconds=ttl,
        clock=clock,
    ).open()


async def test_conversation_vault_survives_a_restart_encrypted(tmp_path: Path) -> None:
    clock = Clock()
    first = _manager(tmp_path, clock)
    cid = first.create()
    conv = await first.vault(cid)
    assert conv.vault.placeholder_for("PERSON", "Maria Gonzalez") == "[PERSON_1]"
    await first.save(conv)
    for path in (tmp_path / "state").rglob("*"):  # nothing on disk holds the value in clear
        if path.is_file():
            assert b"Maria" not in path.read_bytes()
    second = _manager(tmp_path, clock)  # a new daemon process reads the same state
    again = await second.vault(cid)
    assert again.vault.placeholder_for("PERSON", "Maria Gonzalez") == "[PERSON_1]"
    assert again.vault.placeholder_for("PERSON", "John Smith") == "[PERSON_2]"


async def test_idle_conversations_expire_and_are_deleted(tmp_path: Path) -> None:
    clock = Clock()
    manager = _manager(tmp_path, clock, ttl=60)
    short, long_ = manager.create(ttl_seconds=10), manager.create()
    clock.now += 30
    with pytest.raises(NotFound):
        await manager.vault(short)
    await manager.vault(long_)  # touching it keeps it alive
    clock.now += 59
    assert manager.sweep() == 0
    clock.now += 2
    assert manager.sweep() == 1 and len(manager) == 0
    assert not list((tmp_path / "state" / "vaults").glob("*.vault"))
    assert _manager(tmp_path, clock).create() and len(_manager(tmp_path, clock)) == 1


async def test_expired_on_disk_are_dropped_at_start(tmp_path: Path) -> None:
    clock = Clock()
    _manager(tmp_path, clock, ttl=5).create()
    clock.now += 6
    assert len(_manager(tmp_path, clock, ttl=5)) == 0


@pytest.mark.parametrize("bad", ["", "x" * 32, "../../etc/passwd", "A" * 32])
async def test_bad_conversation_ids(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidRequest):
        await _manager(tmp_path, Clock()).vault(bad)


def _batch(rid: str = "r1") -> OutboundBatch:
    return OutboundBatch(request_id=rid, conversation_id="", destination="d", outbound=("q",))


async def test_approval_waits_for_the_decision() -> None:
    broker = ApprovalBroker(timeout_seconds=5)
    seen: list[tuple[str, ...]] = []

    async def notify(batch: OutboundBatch) -> None:
        seen.append(batch.outbound)

    batch = _batch()
    task = asyncio.create_task(broker.hook(notify)(batch))
    await asyncio.sleep(0.05)
    assert not task.done() and broker.pending == 1 and seen == [("q",)]
    broker.decide("r1", True)
    await task
    assert batch.decisions["approval"] == "approved" and broker.pending == 0
    with pytest.raises(NotFound):
        broker.decide("r1", True)


@pytest.mark.parametrize("decision", [False, None])
async def test_rejection_or_timeout_raises(decision: bool | None) -> None:
    broker = ApprovalBroker(timeout_seconds=0.2)
    task = asyncio.create_task(broker.hook()(_batch()))
    await asyncio.sleep(0.05)
    if decision is not None:
        broker.decide("r1", decision)
    with pytest.raises(ApprovalRejected):
        await task
    assert broker.pending == 0


@pytest.mark.parametrize(
    "daemon, message",
    [
        ({"http_host": "0.0.0.0"}, "loopback"),
        ({"grpc_tcp": "192.168.1.5:9000"}, "loopback"),
        ({"grpc_tcp": "localhost"}, "host:port"),
        ({"socket_path": "/tmp/" + "s" * 120}, "longer than"),
        ({"conversation_ttl_seconds": 0}, "conversation_ttl_seconds"),
        ({"no_such_key": 1}, "unknown setting"),
    ],
)
def test_daemon_settings_are_strict(daemon: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EdgeSettings.load(daemon=daemon)


def test_daemon_settings_from_yaml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text("daemon:\n  http_port: 9999\n  require_approval: true\n")
    monkeypatch.setenv("PRIVSPLIT_EDGE_DAEMON__HTTP_PORT", "7777")
    settings = EdgeSettings.load(config)
    assert settings.daemon.http_port == 7777 and settings.daemon.require_approval is True


def test_vault_key_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "k" / "vault.key"
    key = load_or_create_key(path)
    assert len(key) == 32 and load_or_create_key(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        load_or_create_key(path)


def test_socket_directory_writable_by_others_is_refused(tmp_path: Path) -> None:
    from privsplit.edge.daemon.server import prepare_socket

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ConfigError, match="writable by group or others.*chmod 700"):
        prepare_socket(shared / "edge.sock")
    shared.chmod(0o700)
    prepare_socket(shared / "edge.sock")


@pytest.mark.parametrize(
    "flags", [["--http-port", "{port}"], ["--no-http", "--grpc-tcp", "127.0.0.1:{port}"]]
)
def test_port_in_use_is_a_clear_error(tmp_path: Path, flags: list[str]) -> None:
    import socket
    import subprocess
    import sys
    import tempfile

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    sock_dir = Path(tempfile.mkdtemp(prefix="psp", dir="/tmp"))
    env = {
        **os.environ,
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
        "PRIVSPLIT_EDGE_DAEMON__VAULT_KEY_FILE": str(tmp_path / "k" / "vault.key"),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "edge",
            "serve",
            "--insecure",
            "--socket",
            str(sock_dir / "s.sock"),
            "--audit-dir",
            str(tmp_path / "a"),
            "--state-dir",
            str(tmp_path / "s"),
            *[f.format(port=port) for f in flags],
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    busy.close()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "index",
    [
        "[1, 2]",
        '{"%s": {"ttl": "x"}}' % ("a" * 32),
        "not json",
        '{"../x": {"ttl": 5, "last_used": 1}}',
    ],
)
def test_corrupt_conversation_index_does_not_stop_the_daemon(tmp_path: Path, index: str) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "conversations.json").write_text(index)
    manager = _manager(tmp_path, Clock())
    assert len(manager) == 0 and manager.create()
