"""Verification of the egress audit log: any edited, removed, inserted or reordered record,
and any changed byte, is reported.

Each line must be exactly the canonical serialization of its record (so whitespace or
escaping changes count), its hash must match its content, its signature must verify with the
public key, ``seq`` must count up from 1 with no gap, ``prev`` must be the previous record's
hash, and the signed head must name a record of the log at its exact byte offset, normally the
last one (so removing records from the end is detected too). Records past the head are
accepted (with a note) only when every one of them verifies: the head is not synced, so after a
crash it may lag; nothing unsigned can hide there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from privsplit.edge.audit.keys import PUBLIC_KEY_FILE, fingerprint, load_public_key
from privsplit.edge.audit.records import (
    GENESIS,
    HEAD_FIELDS,
    HEAD_FILE,
    HEAD_SIZE,
    LOG_FILE,
    check_record,
    head_bytes,
    head_message,
    signature_ok,
)


@dataclass
class VerifyReport:
    records: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    key_fingerprint: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(directory: Path, *, public_key: Path | None = None) -> VerifyReport:
    """Check the whole log in ``directory`` with ``public_key`` (default: its signing.pub)."""
    directory = Path(directory)
    key = load_public_key(public_key or directory / PUBLIC_KEY_FILE)
    report = VerifyReport(key_fingerprint=fingerprint(key))
    try:
        data = (directory / LOG_FILE).read_bytes()
    except FileNotFoundError:
        data = b""
    if data and not data.endswith(b"\n"):
        report.problems.append("the log does not end with a complete record (truncated or edited)")
    prev = GENESIS
    lines = data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")
    ends: list[tuple[str, int]] = []  # (hash, byte offset after the record) per record
    offset = 0
    for number, line in enumerate(lines, 1):
        problem, digest = check_record(key, line, number, prev)
        if problem:
            report.problems.append(problem)
        prev = digest
        offset += len(line) + 1
        ends.append((digest, offset))
        report.records += 1
    _check_head(directory, key, ends, len(data), report)
    return report


def _check_head(
    directory: Path,
    key: Ed25519PublicKey,
    ends: list[tuple[str, int]],
    size: int,
    report: VerifyReport,
) -> None:
    count = len(ends)
    try:
        raw = (directory / HEAD_FILE).read_bytes()
    except FileNotFoundError:
        if count:
            report.problems.append("the signed head file is missing")
        return
    if len(raw) != HEAD_SIZE:
        report.problems.append("the head file is not one head block (edited)")
        return
    try:
        head = json.loads(raw.rstrip(b" "))
    except ValueError:
        report.problems.append("the head file is not JSON")
        return
    if not isinstance(head, dict) or set(head) != HEAD_FIELDS or head_bytes(head) != raw:
        report.problems.append("the head file is not canonical (edited)")
        return
    if not signature_ok(key, head["sig"], head_message(head["seq"], head["hash"], head["size"])):
        report.problems.append("the head signature does not verify")
        return
    seq = head["seq"]
    if (
        not isinstance(seq, int)
        or not 1 <= seq <= count
        or ends[seq - 1] != (head["hash"], head["size"])
    ):
        report.problems.append(
            f"the head names record {seq} but the log has {count} with other "
            "content or size (records removed from the end, or edited)"
        )
    elif seq < count and not report.problems:
        # records past the head are all signed and chained: the head had not reached the disk
        # before a crash; the daemon rolls it forward on its next append
        report.notes.append(f"the head lags the log by {count - seq} signed record(s)")
    elif seq == count and head["size"] != size:
        report.problems.append("the log size differs from the signed head (edited or truncated)")
