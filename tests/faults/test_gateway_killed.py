"""The real cloud gateway (SmolLM2) killed with SIGKILL while the daemon streams its answer:
the app gets a typed error at once, never a finished answer, no private value reaches the
daemon's log, and the same daemon serves again once the gateway is back on its port."""

from __future__ import annotations

import shutil
import signal
import time

import pytest

from privsplit.client import Client, Unavailable
from privsplit.edge.audit import verify_log
from tests.cloud.conftest import free_port
from tests.conftest import start_cli_server
from tests.edge.daemon.conftest import start_daemon
from tests.faults.conftest import NAME, PRIVATE, assert_no_private_text

pytestmark = pytest.mark.slow
# answered with all 400 tokens (SmolLM2, greedy or sampled): the stream is still running at the
# kill; a counting request ends after ~36 tokens and could finish first
LONG = f"Greet {NAME}, then write a long story about a dragon who lives in a castle."


def _gateway(model, log_path, port):
    args = ["cloud", "serve", "--insecure", "--port", str(port), "--model", str(model)]
    return start_cli_server(args, log_path)


def test_gateway_killed_mid_stream(test_model_path, tmp_path) -> None:
    port = free_port()
    gateway = _gateway(test_model_path, tmp_path / "gateway.log", port)
    daemon = start_daemon(gateway.address, tmp_path, env={"PRIVSPLIT_EDGE_MAX_TOKENS": "400"})
    try:
        with Client(socket_path=daemon.socket_path) as client:
            events, killed_at = [], 0.0
            with pytest.raises(Unavailable) as err:
                for event in client.stream(LONG, timeout=120):
                    events.append(event)
                    if event.kind == "delta" and not killed_at:
                        gateway.proc.send_signal(signal.SIGKILL)  # mid-stream, no goodbye
                        killed_at = time.monotonic()
            assert killed_at, "the stream failed before its first answer piece"
            assert time.monotonic() - killed_at < 10  # no hang
            assert err.value.__class__.__name__ == "CloudUnavailable"
            assert not [e for e in events if e.kind == "done"]  # never a finished answer
            assert gateway.proc.wait(10) == -signal.SIGKILL

            # the gateway comes back on its port; the daemon was never restarted
            gateway = _gateway(test_model_path, tmp_path / "gateway2.log", port)
            answer = client.ask(f"Say hello to {NAME}.", timeout=120)
            assert answer.route == "cloud" and answer.outbound
        log = daemon.log_text()
        assert '"error": "CloudUnavailable"' in log
        assert_no_private_text(log)
        for value in PRIVATE:
            assert all(value not in o for o in answer.outbound)
        report = verify_log(daemon.audit_dir)
        assert report.ok and report.records == 2, report.problems
    finally:
        daemon.server.stop()
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
        gateway.stop()
