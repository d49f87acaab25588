"""The audit log on a full disk (a 64 KiB tmpfs): the request that cannot get its record is
refused with ``AuditLogError`` and nothing is sent; no half record stays behind, so once
space is back the daemon sends again and the log verifies."""

from __future__ import annotations

import os
import subprocess

import pytest

from privsplit.client import AuditLogError, Client
from privsplit.edge.audit import verify_log
from privsplit.edge.audit.log import read_records
from tests.edge.daemon.conftest import start_daemon
from tests.faults.conftest import PROMPT, ScriptedCloud, assert_no_private_text, stop

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "audit"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory) -> int:
    """Write a filler file until the disk is full; its size."""
    written, fd = 0, os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            written += os.write(fd, b"\0" * 1024)
    except OSError:
        return written
    finally:
        os.close(fd)


def test_full_disk_refuses_to_send_and_leaves_no_half_record(
    scripted_cloud: ScriptedCloud, small_disk, tmp_path
) -> None:
    scripted_cloud.play(kind="echo")
    daemon = start_daemon(scripted_cloud.address, tmp_path)
    assert daemon.audit_dir == small_disk
    try:
        with Client(socket_path=daemon.socket_path) as client:
            client.ask(PROMPT)  # the key, the log and its head exist
            assert _fill(small_disk) > 0
            # the log's last page may still hold a record or two; then the disk is full
            refused, sent = None, []
            for _ in range(20):
                before = scripted_cloud.received
                try:
                    client.ask(PROMPT)
                    sent.append(scripted_cloud.received - before)
                except AuditLogError as exc:
                    refused = exc
                    assert scripted_cloud.received == before  # nothing was sent
                    break
            assert refused is not None, "the full disk never refused a record"
            assert "nothing was sent" in refused.message
            assert all(n == 1 for n in sent)  # what passed before it was recorded and sent
            with pytest.raises(AuditLogError):
                list(client.stream(PROMPT))
            log_bytes = (small_disk / "egress.log").read_bytes()
            assert log_bytes.endswith(b"\n")  # no half record left by the refused append
            (small_disk / "filler").unlink()
            client.ask(PROMPT)  # space is back: it sends, and the chain goes on
        report = verify_log(small_disk)
        assert report.ok, report.problems
        records = list(read_records(small_disk / "egress.log"))
        assert len(records) == 2 + len(sent)
        assert_no_private_text(daemon.log_text())
    finally:
        stop(daemon)
