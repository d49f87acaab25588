"""The daemon killed with SIGKILL while requests are in flight, then started again on the same
state: the audit log verifies with no half record, conversations keep their vaults (the same
placeholders), and a conversation whose vault file was corrupted meanwhile is refused while
the others are served."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time

import pytest

from privsplit.client import Client, PrivacyBlocked
from privsplit.edge.audit.log import read_records
from tests.edge.daemon.conftest import start_daemon
from tests.faults.conftest import NAME, PROMPT, ScriptedCloud, assert_no_private_text, stop

pytestmark = pytest.mark.slow
IN_FLIGHT = 4


def _vault_file(state_dir, conversation_id: str):
    name = hashlib.sha256(conversation_id.encode()).hexdigest()[:32] + ".vault"
    return state_dir / "vaults" / name


def test_sigkill_mid_requests_then_restart(scripted_cloud: ScriptedCloud, tmp_path) -> None:
    scripted_cloud.play(kind="echo")
    daemon = start_daemon(scripted_cloud.address, tmp_path)
    with Client(socket_path=daemon.socket_path) as client:
        kept, spoiled = client.create_conversation(), client.create_conversation()
        kept.ask(f"Write to {NAME} and John Smith.")
        spoiled.ask("Write to Olga Petrova.")
        placeholders = kept.redact(f"John Smith and {NAME}").text
    # slow answers: every request below is between its audit record and its answer
    scripted_cloud.play(kind="text", chunks=["Hello [PERSON_1]. "] * 40, delay=0.25)
    before, outcomes = scripted_cloud.received, []

    def ask() -> None:
        try:
            with Client(socket_path=daemon.socket_path) as c:
                outcomes.append(c.ask(PROMPT, timeout=60))
        except Exception as exc:  # recorded: every one of them must fail
            outcomes.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(IN_FLIGHT)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while scripted_cloud.received < before + IN_FLIGHT and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scripted_cloud.received == before + IN_FLIGHT
    daemon.server.proc.kill()  # SIGKILL: no shutdown, no flush
    daemon.server.proc.wait(10)
    for t in threads:
        t.join(30)
    assert len(outcomes) == IN_FLIGHT and all(isinstance(o, Exception) for o in outcomes)
    assert_no_private_text(daemon.log_text())

    _vault_file(daemon.state_dir, spoiled.id).write_bytes(b"PSV1" + b"\x00" * 64)
    daemon = start_daemon(scripted_cloud.address, tmp_path)  # same state, audit and keys
    try:
        verify = subprocess.run(
            [sys.executable, "-m", "privsplit.cli.main", "audit", "verify"]
            + ["--dir", str(daemon.audit_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert verify.returncode == 0 and verify.stdout.startswith("OK:"), verify.stderr
        records = list(read_records(daemon.audit_dir / "egress.log"))
        # every send has its whole record (2 turns + the requests in flight), nothing more
        assert len(records) == scripted_cloud.received == before + IN_FLIGHT
        assert (daemon.audit_dir / "egress.log").read_bytes().endswith(b"\n")

        scripted_cloud.play(kind="echo")
        with Client(socket_path=daemon.socket_path) as client:
            again = client.redact(f"John Smith and {NAME}", conversation_id=kept.id).text
            assert again == placeholders  # the vault survived: the same placeholders
            assert NAME in client.ask(f"Write to {NAME}.", conversation_id=kept.id).text
            sent = scripted_cloud.received
            with pytest.raises(PrivacyBlocked, match="stored vault"):
                client.ask("Write to Olga Petrova.", conversation_id=spoiled.id)
            assert scripted_cloud.received == sent  # refused before anything was sent
            assert "Olga Petrova" in client.ask("Write to Olga Petrova.").text  # others served
        assert verify_ok(daemon.audit_dir)
    finally:
        stop(daemon)


def verify_ok(audit_dir) -> bool:
    from privsplit.edge.audit import verify_log

    report = verify_log(audit_dir)
    return report.ok and not report.problems
