"""A daemon whose audit directory is read-only sends nothing; `privsplit audit` shows and
verifies what a working daemon sent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from privsplit.client import AuditLogError, Client
from privsplit.edge.audit import AuditLog
from tests.conftest import PERSON_SENT
from tests.edge.daemon.conftest import Daemon, completions_done, start_daemon

pytestmark = pytest.mark.slow
PROMPT = "Write one short sentence greeting Maria Gonzalez."


def _unprivileged() -> list[str]:
    """As root, mode bits do not bind: drop the override capabilities for the daemon."""
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


def test_read_only_audit_directory_blocks_sending(cloud_server, tmp_path: Path) -> None:
    audit_dir = tmp_path / "audit"
    AuditLog(directory=audit_dir).open()  # key created; then the directory is made read-only
    for child in audit_dir.iterdir():
        child.chmod(0o400)
    audit_dir.chmod(0o500)
    daemon = start_daemon(cloud_server.address, tmp_path, prefix=_unprivileged())
    try:
        before = completions_done(cloud_server)
        with Client(socket_path=daemon.socket_path) as client:
            with pytest.raises(AuditLogError, match="nothing was sent"):
                client.ask(PROMPT)
            with pytest.raises(AuditLogError):
                list(client.stream(PROMPT))
            assert "[PERSON_1]" in client.redact(PROMPT).text  # local work still runs
        assert completions_done(cloud_server) == before
        assert not (audit_dir / "egress.log").exists()
    finally:
        daemon.server.stop()
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
        audit_dir.chmod(0o700)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_audit_cli_show_and_verify(daemon: Daemon) -> None:
    with Client(socket_path=daemon.socket_path) as client:
        answer = client.ask(PROMPT)
    shown = _cli("audit", "show", "--dir", str(daemon.audit_dir), "--last", "1")
    assert shown.returncode == 0, shown.stderr
    assert answer.request_id in shown.stdout and answer.outbound[0] in shown.stdout
    ok = _cli("audit", "verify", "--dir", str(daemon.audit_dir))
    assert ok.returncode == 0 and ok.stdout.startswith("OK:"), ok.stdout + ok.stderr
    # tamper with a copy: one changed character in the outbound text
    copy = daemon.audit_dir.parent / "audit-copy"
    shutil.copytree(daemon.audit_dir, copy)
    data = (copy / "egress.log").read_bytes()
    changed = PERSON_SENT.replace(PERSON_SENT[-1], "x")
    (copy / "egress.log").write_bytes(data.replace(PERSON_SENT.encode(), changed.encode(), 1))
    bad = _cli("audit", "verify", "--dir", str(copy))
    assert bad.returncode == 1 and "FAILED" in bad.stdout and "tampered" in bad.stderr


@pytest.mark.parametrize("reply, sent", [("n\n", False), ("y\n", True)])
def test_cli_ask_with_approval_prompt(daemon: Daemon, cloud_server, reply: str, sent: bool) -> None:
    before = completions_done(cloud_server)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "edge",
            "ask",
            "--approve",
            "--socket",
            str(daemon.socket_path),
            PROMPT,
        ],
        input=reply,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert PERSON_SENT in proc.stderr and "Send it?" in proc.stderr  # shown before sending
    assert "Maria Gonzalez" not in proc.stderr
    if sent:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip()
        assert completions_done(cloud_server) == before + 1
    else:
        assert proc.returncode == 2 and "rejected" in proc.stderr
        assert completions_done(cloud_server) == before
