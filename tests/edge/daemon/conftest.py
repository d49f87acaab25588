"""A real daemon process (`privsplit edge serve`) in front of the real cloud process (SmolLM2)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ServerProcess, start_cli_server

API_KEY = "test-key-0123456789"


@dataclass
class Daemon:
    server: ServerProcess
    socket_path: Path
    grpc_port: int
    http_port: int
    audit_dir: Path
    state_dir: Path
    env: dict[str, str] = field(default_factory=dict)  # what the daemon got on top of os.environ

    @property
    def api_key_file(self) -> Path:
        """Where the daemon keeps its key when none is configured (beside the vault key)."""
        return Path(self.env["PRIVSPLIT_EDGE_DAEMON__VAULT_KEY_FILE"]).parent / "api.key"

    @property
    def api_key(self) -> str:
        return (
            self.env.get("PRIVSPLIT_EDGE_DAEMON__API_KEY") or self.api_key_file.read_text().strip()
        )

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/v1"

    @property
    def tcp_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def log_text(self) -> str:
        return self.server.log_path.read_text()


def completions_done(cloud_server: ServerProcess) -> int:
    """How many completions the cloud process has served (from its JSON log)."""
    return sum(
        1
        for line in cloud_server.log_lines()
        if line.startswith("{") and json.loads(line).get("event") == "completion_done"
    )


def start_daemon(
    cloud_address: str,
    root: Path,
    *,
    extra_args: tuple[str, ...] = (),
    prefix: list[str] | None = None,
    env: dict[str, str] | None = None,
    api_key: str | None = API_KEY,
) -> Daemon:
    """``api_key=None`` starts it as a user would: no key configured, the key file is used."""
    # a short socket path: sun_path holds 107 bytes, pytest's tmp paths can be longer
    sock_dir = Path(tempfile.mkdtemp(prefix="psd", dir="/tmp"))
    audit_dir, state_dir = root / "audit", root / "state"
    args = [
        "edge",
        "serve",
        "--insecure",
        "--cloud",
        cloud_address,
        "--socket",
        str(sock_dir / "edge.sock"),
        "--http-port",
        "0",
        "--grpc-tcp",
        "127.0.0.1:0",
        "--audit-dir",
        str(audit_dir),
        "--state-dir",
        str(state_dir),
        *extra_args,
    ]
    full_env = {
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
        "PRIVSPLIT_EDGE_MAX_TOKENS": "16",
        "PRIVSPLIT_EDGE_PIPELINE__BLOCKED_ENTITIES": '["CREDIT_CARD"]',
        "PRIVSPLIT_EDGE_DAEMON__VAULT_KEY_FILE": str(root / "keys" / "vault.key"),
        **({"PRIVSPLIT_EDGE_DAEMON__API_KEY": api_key} if api_key is not None else {}),
        **(env or {}),
    }
    server = _start(args, root / "daemon.log", prefix or [], full_env)
    record = next(
        json.loads(line)
        for line in server.log_lines()
        if line.startswith("{") and json.loads(line).get("event") == "edge_listening"
    )
    return Daemon(
        server=server,
        socket_path=Path(record["socket"]),
        grpc_port=record["grpc_port"],
        http_port=record["port"],
        audit_dir=audit_dir,
        state_dir=state_dir,
        env=full_env,
    )


def _start(
    args: list[str], log_path: Path, prefix: list[str], env: dict[str, str]
) -> ServerProcess:
    if not prefix:
        return start_cli_server(args, log_path, event="edge_listening", env=env)
    # run under a wrapper (setpriv): same as start_cli_server, with the wrapper in front
    import subprocess
    import sys
    import time

    log = log_path.open("w")
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "privsplit.cli.main", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited early:\n{log_path.read_text()}")
        for line in log_path.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "edge_listening":
                return ServerProcess(
                    proc=proc, port=int(json.loads(line)["port"]), log_path=log_path
                )
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError(log_path.read_text())


@pytest.fixture(scope="session")
def daemon(
    cloud_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Daemon]:
    d = start_daemon(cloud_server.address, tmp_path_factory.mktemp("daemon"))
    yield d
    code = d.server.stop()  # SIGTERM: graceful shutdown
    assert code == 0, d.log_text()[-3000:]
    assert not d.socket_path.exists()  # the socket is removed on the way out
    shutil.rmtree(d.socket_path.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def locked_daemon(
    cloud_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Daemon]:
    """A daemon with no API key configured (its key file is created at start) and two allowed
    browser origin patterns from PRIVSPLIT_ORIGINS."""
    d = start_daemon(
        cloud_server.address,
        tmp_path_factory.mktemp("locked"),
        api_key=None,
        env={"PRIVSPLIT_ORIGINS": "http://localhost:*, https://app.example"},
    )
    yield d
    assert d.server.stop() == 0, d.log_text()[-3000:]
    shutil.rmtree(d.socket_path.parent, ignore_errors=True)
