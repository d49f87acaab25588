"""The egress audit log: every changed byte, removed, inserted or reordered record is detected;
a directory that cannot be written blocks the append (and so the send)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from privsplit.edge.audit import AuditLog, verify_log
from privsplit.edge.audit.log import HEAD_FILE, LOG_FILE
from privsplit.edge.egress import OutboundBatch
from privsplit.shared.errors import AuditLogError, ConfigError

OUTBOUND = [
    ("Write a note to [PERSON_1] about Friday.",),
    ("Summarize: [EMAIL_ADDRESS_1] asked about ünïcode ✓", "second sub-query"),
    ("Translate to French: hello [PERSON_1]",),
]


def _fill(directory: Path) -> AuditLog:
    audit = AuditLog(directory=directory).open()
    for i, outbound in enumerate(OUTBOUND):
        audit.append(
            request_id=f"req{i}",
            conversation_id="conv" if i else "",
            destination="127.0.0.1:50051",
            outbound=outbound,
            decisions={"PERSON": "redact", "approval": "not_required"},
        )
    return audit


def test_clean_log_verifies_and_keeps_exact_text(tmp_path: Path) -> None:
    audit = _fill(tmp_path)
    report = verify_log(tmp_path)
    assert report.ok, report.problems
    assert report.records == 3
    records = list(audit.records())
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert tuple(records[1]["outbound"]) == OUTBOUND[1]
    assert records[1]["prev"] == records[0]["hash"]
    assert stat.S_IMODE(os.stat(tmp_path / "signing.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / LOG_FILE).st_mode) == 0o600


def test_every_flipped_byte_is_detected(tmp_path: Path) -> None:
    _fill(tmp_path)
    for name in (LOG_FILE, HEAD_FILE):
        path = tmp_path / name
        original = path.read_bytes()
        content = len(original.rstrip(b" "))  # the head's padding: every 16th byte is enough
        for i in [*range(content), *range(content, len(original), 16)]:
            changed = bytearray(original)
            changed[i] ^= 0x01
            path.write_bytes(bytes(changed))
            report = verify_log(tmp_path)
            assert not report.ok, f"{name}: flipping byte {i} went unnoticed"
        path.write_bytes(original)
    assert verify_log(tmp_path).ok


def _lines(tmp_path: Path) -> list[bytes]:
    return (tmp_path / LOG_FILE).read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize(
    "edit",
    [
        "remove_first",
        "remove_middle",
        "remove_last",
        "swap",
        "duplicate",
        "truncate_tail",
        "append_garbage",
    ],
)
def test_removed_reordered_or_added_records_are_detected(tmp_path: Path, edit: str) -> None:
    _fill(tmp_path)
    lines = _lines(tmp_path)
    edits = {
        "remove_first": lines[1:],
        "remove_middle": [lines[0], lines[2]],
        "remove_last": lines[:2],
        "swap": [lines[1], lines[0], lines[2]],
        "duplicate": [lines[0], lines[1], lines[1], lines[2]],
        "truncate_tail": [*lines[:2], lines[2][:-10]],
        "append_garbage": [*lines, b"{}\n"],
    }
    (tmp_path / LOG_FILE).write_bytes(b"".join(edits[edit]))
    report = verify_log(tmp_path)
    assert not report.ok and report.problems


def test_re_signed_record_with_another_key_is_detected(tmp_path: Path) -> None:
    _fill(tmp_path)
    pinned = tmp_path / "pinned.pub"
    pinned.write_bytes((tmp_path / "signing.pub").read_bytes())
    other = tmp_path / "other"
    _fill(other)  # a second log with its own key; swap its files in wholesale
    for name in (LOG_FILE, HEAD_FILE, "signing.pub"):
        (tmp_path / name).write_bytes((other / name).read_bytes())
    assert verify_log(tmp_path).ok  # self-consistent: only a pinned key catches this
    report = verify_log(tmp_path, public_key=pinned)
    assert not report.ok


def test_appending_after_tampering_is_refused(tmp_path: Path) -> None:
    audit = _fill(tmp_path)
    lines = _lines(tmp_path)
    (tmp_path / LOG_FILE).write_bytes(b"".join(lines[:2]))
    with pytest.raises(AuditLogError):
        audit.append(
            request_id="r", conversation_id="", destination="d", outbound=["x"], decisions={}
        )


def _drop_dac(cmd: list[str]) -> list[str]:
    """As root, permission bits do not bind; drop the override capabilities for the child."""
    if os.geteuid() == 0:
        return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *cmd]
    return cmd


APPEND_SCRIPT = """
import sys
from pathlib import Path
from privsplit.edge.audit import AuditLog
from privsplit.shared.errors import AuditLogError
audit = AuditLog(directory=Path(sys.argv[1])).open()
try:
    audit.append(request_id="r", conversation_id="", destination="d", outbound=["x"], decisions={})
except AuditLogError as exc:
    print("BLOCKED", exc.message)
    sys.exit(3)
print("WRITTEN")
"""


@pytest.mark.parametrize("files_writable", [False, True])
def test_read_only_directory_blocks_the_append(tmp_path: Path, files_writable: bool) -> None:
    _fill(tmp_path)
    before = (tmp_path / LOG_FILE).read_bytes()
    if not files_writable:
        for child in tmp_path.iterdir():
            child.chmod(0o400)
    tmp_path.chmod(0o500)
    try:
        proc = subprocess.run(
            _drop_dac([sys.executable, "-c", APPEND_SCRIPT, str(tmp_path)]),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        tmp_path.chmod(0o700)
        for child in tmp_path.iterdir():
            child.chmod(0o600)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "nothing was sent" in proc.stdout
    assert (tmp_path / LOG_FILE).read_bytes() == before  # rolled back, chain intact
    assert verify_log(tmp_path).ok


async def test_hook_appends_the_batch(tmp_path: Path) -> None:
    audit = AuditLog(directory=tmp_path).open()
    batch = OutboundBatch(
        request_id="abc",
        conversation_id="c1",
        destination="127.0.0.1:1",
        outbound=("hello [PERSON_1]",),
        decisions={"PERSON": "redact"},
    )
    await audit.hook(batch)
    (record,) = audit.records()
    assert record["request_id"] == "abc" and record["outbound"] == ["hello [PERSON_1]"]
    assert record["decisions"] == {"PERSON": "redact"}
    assert json.loads((tmp_path / HEAD_FILE).read_bytes())["seq"] == 1


def test_bad_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "signing.key").write_text("not a key")
    with pytest.raises(ConfigError, match="signing key"):
        AuditLog(directory=tmp_path).open()


def test_head_lagging_after_a_crash_is_rolled_forward(tmp_path: Path) -> None:
    audit = _fill(tmp_path)  # 3 records
    stale = (tmp_path / HEAD_FILE).read_bytes()
    audit.append(
        request_id="r4", conversation_id="", destination="d", outbound=["four"], decisions={}
    )
    (tmp_path / HEAD_FILE).write_bytes(stale)  # as if the last head write never reached the disk
    report = verify_log(tmp_path)
    assert report.ok and report.notes == ["the head lags the log by 1 signed record(s)"]
    audit.append(
        request_id="r5", conversation_id="", destination="d", outbound=["five"], decisions={}
    )
    report = verify_log(tmp_path)
    assert report.ok and not report.notes and report.records == 5
    # the limit, documented in docs/usage.md: a saved copy of an old head put back, with the
    # log cut to any point past it, looks like a crash (the same holds for cutting the log
    # exactly back to that head); only an anchor kept off the device catches it
    (tmp_path / HEAD_FILE).write_bytes(stale)
    (tmp_path / LOG_FILE).write_bytes(b"".join(_lines(tmp_path)[:4]))
    assert verify_log(tmp_path).ok


@pytest.mark.parametrize("extra", [b'{"seq":4}\n', b"partial record without newline"])
def test_unsigned_data_past_the_head_blocks_appends(tmp_path: Path, extra: bytes) -> None:
    audit = _fill(tmp_path)
    with (tmp_path / LOG_FILE).open("ab") as fh:
        fh.write(extra)
    assert not verify_log(tmp_path).ok
    with pytest.raises(AuditLogError, match="nothing was sent"):
        audit.append(
            request_id="r", conversation_id="", destination="d", outbound=["x"], decisions={}
        )
