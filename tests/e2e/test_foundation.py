"""The first real path: edge redacts, a real cloud process answers with llama.cpp, edge restores."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from tests.conftest import PERSON_SENT, TEST_MODEL

PRIVATE = {
    "Maria Gonzalez": "PERSON",
    "maria.gonzalez@example.org": "EMAIL_ADDRESS",
    "4111 1111 1111 1111": "CREDIT_CARD",
}
PROMPT = (
    "Draft a two-sentence note to Maria Gonzalez (maria.gonzalez@example.org) "
    "confirming her card 4111 1111 1111 1111 was charged. Address her by name."
)


# The suite runs on what `make test` pulls: the edge uses the small test model too.
EDGE_ENV = {**os.environ, "PRIVSPLIT_EDGE_EDGE_MODEL": TEST_MODEL}


@pytest.fixture
def settings(cloud_server, test_model_path) -> EdgeSettings:
    return EdgeSettings.load(
        cloud_address=cloud_server.address,
        cloud_insecure=True,
        max_tokens=48,
        edge_model=str(test_model_path),
    )


async def test_private_values_never_leave_and_come_back(
    settings: EdgeSettings, cloud_server
) -> None:
    pipeline = build_pipeline(settings)
    vault = Vault()
    try:
        result = await pipeline.ask(PROMPT, vault=vault)
    finally:
        await pipeline.cloud.close()
    sent = "\n".join(result.outbound)
    for value, entity_type in PRIVATE.items():
        assert value not in sent
        assert (PERSON_SENT if entity_type == "PERSON" else f"[{entity_type}_1]") in sent
    assert result.answer.strip()
    assert result.cloud_usage.completion_tokens > 0
    # every placeholder of ours that the model echoed was restored to the original value
    assert "[PERSON_1]" not in result.answer and "[EMAIL_ADDRESS_1]" not in result.answer
    # the cloud process logged no private value
    cloud_log = "\n".join(cloud_server.log_lines())
    for value in PRIVATE:
        assert value not in cloud_log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ask_with_cloud_stopped_fails_clearly() -> None:
    port = _free_port()  # nothing listens here
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "ask",
            "--insecure",
            "--cloud",
            f"127.0.0.1:{port}",
            "Hello, I am Maria Gonzalez.",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=EDGE_ENV,
    )
    assert proc.returncode == 2
    assert "cloud unavailable" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "Maria Gonzalez" not in proc.stderr + proc.stdout


def test_ask_cli_against_running_cloud(cloud_server) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "ask",
            "--insecure",
            "--cloud",
            cloud_server.address,
            "--show-outbound",
            "Say hello to Maria Gonzalez in one short sentence.",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**EDGE_ENV, "PRIVSPLIT_EDGE_MAX_TOKENS": "24"},
    )
    assert proc.returncode == 0, proc.stderr
    assert PERSON_SENT in proc.stderr  # the outbound text (the name's stand-in), on stderr
    assert "Maria Gonzalez" not in proc.stderr.split("sent to cloud", 1)[1]
    assert proc.stdout.strip()
