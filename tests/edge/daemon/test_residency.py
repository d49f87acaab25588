"""Split mode in the daemon: the edge model (SmolLM2 here) is loaded on first use, shared by
concurrent requests, and unloaded after the keep-alive."""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from privsplit.client import Client
from tests.edge.daemon.conftest import start_daemon

pytestmark = pytest.mark.slow


def _events(log_text: str, name: str) -> list[dict]:
    return [
        r
        for r in (json.loads(line) for line in log_text.splitlines() if line.startswith("{"))
        if r.get("event") == name
    ]


def test_edge_model_loads_on_first_use_and_unloads_when_idle(
    cloud_server, test_model_path: Path, tmp_path: Path
) -> None:
    daemon = start_daemon(
        cloud_server.address,
        tmp_path,
        env={
            "PRIVSPLIT_EDGE_PIPELINE__MODE": "split",
            "PRIVSPLIT_EDGE_EDGE_MODEL": str(test_model_path),
            "PRIVSPLIT_EDGE_RUNTIME__KEEP_ALIVE_SECONDS": "2",
            "PRIVSPLIT_EDGE_PIPELINE__PLAN_MAX_TOKENS": "24",
            "PRIVSPLIT_EDGE_PIPELINE__MERGE": "restore",
        },
    )
    try:
        assert not _events(daemon.log_text(), "model_loaded")  # nothing loaded at start
        with Client(socket_path=daemon.socket_path) as client:
            with ThreadPoolExecutor(2) as pool:  # concurrent requests share one instance
                plans = list(
                    pool.map(lambda _: client.plan("Write a haiku for Maria Gonzalez."), range(2))
                )
            assert all(p.route in ("cloud", "local") for p in plans)
            assert len(_events(daemon.log_text(), "model_loaded")) == 1
            deadline = time.monotonic() + 30
            while not _events(daemon.log_text(), "model_unloaded") and time.monotonic() < deadline:
                time.sleep(0.5)
            assert _events(daemon.log_text(), "model_unloaded")
            client.plan("Write a haiku for John Smith.")  # loaded again on the next use
            assert len(_events(daemon.log_text(), "model_loaded")) == 2
    finally:
        daemon.server.stop()
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
