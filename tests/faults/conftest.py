"""Fixtures of the fault-injection tests: the scripted cloud process, a daemon with the fault
plugin on its PYTHONPATH, and the counters the tests judge by (what reached the cloud)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, ServerProcess
from tests.edge.daemon.conftest import Daemon, start_daemon

PLUGIN = Path(__file__).resolve().parent / "plugin"
NAME, EMAIL = "Maria Gonzalez", "maria.gonzalez@example.org"
PROMPT = f"Write one short sentence greeting {NAME} ({EMAIL})."
PRIVATE = (NAME, EMAIL, "Gonzalez")


@dataclass
class ScriptedCloud:
    server: ServerProcess
    script: Path

    @property
    def address(self) -> str:
        return self.server.address

    def play(self, **plan: object) -> None:
        self.script.write_text(json.dumps(plan))

    def events(self, name: str) -> int:
        return sum(
            1
            for line in self.server.log_lines()
            if line.startswith("{") and json.loads(line).get("event") == name
        )

    @property
    def received(self) -> int:
        """Calls that reached the cloud: what the edge sent."""
        return self.events("request_received")


def start_scripted_cloud(root: Path, port: int = 0, timeout: float = 60) -> ScriptedCloud:
    root.mkdir(parents=True, exist_ok=True)
    script, log_path = root / "script.json", root / "cloud.log"
    script.write_text(json.dumps({"kind": "echo"}))
    log = log_path.open("a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.scripted_cloud", "--script", str(script)]
        + ["--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"scripted cloud exited:\n{log_path.read_text()}")
        for line in log_path.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "cloud_listening":
                server = ServerProcess(proc=proc, port=json.loads(line)["port"], log_path=log_path)
                return ScriptedCloud(server=server, script=script)
        time.sleep(0.05)
    proc.kill()
    raise TimeoutError(log_path.read_text())


def fault_env(fault_dir: Path, **extra: str) -> dict[str, str]:
    """The daemon's environment: the fault plugin loaded, a short cloud deadline."""
    path = os.pathsep.join(p for p in (str(PLUGIN), os.environ.get("PYTHONPATH", "")) if p)
    return {
        "PYTHONPATH": path,
        "PRIVSPLIT_FAULT_DIR": str(fault_dir),
        "PRIVSPLIT_EDGE_CLOUD__DEADLINE_SECONDS": "3",
        **extra,
    }


def stop(daemon: Daemon) -> None:
    daemon.server.stop()
    shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def scripted_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedCloud]:
    cloud = start_scripted_cloud(tmp_path_factory.mktemp("scripted"))
    yield cloud
    cloud.server.stop()


@pytest.fixture(scope="module")
def fault_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def fault_daemon(
    scripted_cloud: ScriptedCloud, fault_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Daemon]:
    daemon = start_daemon(
        scripted_cloud.address, tmp_path_factory.mktemp("daemon"), env=fault_env(fault_dir)
    )
    yield daemon
    stop(daemon)


def assert_no_private_text(*texts: str) -> None:
    for text in texts:
        for value in PRIVATE:
            assert value not in text, f"a private value reached a log: {value!r}"
