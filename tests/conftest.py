"""Fixtures shared by the whole suite: the small test model and real servers on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from privsplit.edge.privacy.standins import PEOPLE
from privsplit.shared.models import ModelStore
from privsplit.shared.settings import PrivsplitSettings

TEST_MODEL = "smollm2-135m-instruct-q4_1"
REPO = Path(__file__).resolve().parent.parent
# A conversation whose turns each reveal one quasi-identifier (age, gender, job, a child, a
# city): harmless alone, identifying together; the re-identification budget's test case.
QUASI_TURNS = (
    "I'm 37 years old.",
    "I'm a woman, by the way.",
    "I work as a nurse.",
    "My daughter starts school soon.",
    "Any running clubs in Leeds?",
)

# Every pipeline that sends writes the egress audit log (daemon.audit_dir): the suite and the
# processes it starts write one of their own, never the user's. Set at import, before test
# modules copy os.environ into their subprocess environments.
os.environ.setdefault(
    "PRIVSPLIT_EDGE_DAEMON__AUDIT_DIR", tempfile.mkdtemp(prefix="privsplit-test-audit-")
)
# The answer cache would answer a repeated request without sending it; tests that count what
# reaches the cloud rely on every request going there, so the suite runs with it off and the
# cache's own tests (tests/edge/cache, tests/e2e/test_answer_cache.py) turn it on.
os.environ.setdefault("PRIVSPLIT_EDGE_CACHE__ENABLED", "false")


# what the cloud is sent for a request's first two-word person (pipeline.stand_ins, default on)
PERSON_SENT = " ".join(PEOPLE[0])


@pytest.fixture(scope="session")
def model_store() -> ModelStore:
    return ModelStore(root=PrivsplitSettings().models_dir)


@pytest.fixture(scope="session")
def test_model_path(model_store: ModelStore) -> Path:
    """The SmolLM2 GGUF, verified (``make test`` pulls it first)."""
    return model_store.path(TEST_MODEL)


@dataclass
class ServerProcess:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_cli_server(
    args: list[str],
    log_path: Path,
    *,
    event: str = "cloud_listening",
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """Run ``privsplit ARGS`` and wait for its JSON log line ``event`` that carries the port."""
    full_env = {**os.environ, **(env or {})}
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "privsplit.cli.main", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=full_env,
        cwd=REPO,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        for line in log_path.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == event:
                    return ServerProcess(proc=proc, port=int(record["port"]), log_path=log_path)
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError(f"server did not log {event}:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def cloud_server(
    test_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A real cloud gateway process (grpc.aio + llama.cpp, SmolLM2) on an ephemeral port."""
    log_path = tmp_path_factory.mktemp("cloud") / "cloud.log"
    server = start_cli_server(
        ["cloud", "serve", "--insecure", "--port", "0", "--model", str(test_model_path)], log_path
    )
    yield server
    server.stop()
