"""The record format of the egress audit log, shared by the writer (``log``) and the
verifier (``verify``): file names, signing contexts, the canonical serialization, hashes,
the signed head, and the check of one record.

A record line is exactly ``canonical(record)``; ``hash`` is the sha256 of the canonical record
without ``hash``/``sig``, and ``sig`` the Ed25519 signature of ``RECORD_CONTEXT + hash``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LOG_FILE = "egress.log"
HEAD_FILE = "egress.head"
LOCK_FILE = "egress.lock"
GENESIS = "0" * 64
RECORD_CONTEXT = b"privsplit-audit-record-v1\x00"
HEAD_CONTEXT = b"privsplit-audit-head-v1\x00"
RECORD_FIELDS = frozenset(
    {
        "seq",
        "prev",
        "time",
        "request_id",
        "conversation_id",
        "destination",
        "outbound",
        "decisions",
        "hash",
        "sig",
    }
)
HEAD_SIZE = 512
HEAD_FIELDS = frozenset({"seq", "hash", "size", "sig"})


def canonical(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def record_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(
        canonical({k: v for k, v in body.items() if k not in ("hash", "sig")})
    ).hexdigest()


def head_bytes(head: Mapping[str, Any]) -> bytes:
    """The head file: its canonical line padded with spaces to HEAD_SIZE bytes."""
    line = canonical(head) + b"\n"
    if len(line) > HEAD_SIZE:
        raise ValueError("head record too long")
    return line + b" " * (HEAD_SIZE - len(line))


def head_message(seq: int, digest: str, size: int) -> bytes:
    return HEAD_CONTEXT + canonical({"seq": seq, "hash": digest, "size": size})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signature_ok(key: Ed25519PublicKey, sig: object, message: bytes) -> bool:
    if not isinstance(sig, str):
        return False
    try:
        key.verify(base64.b64decode(sig, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def check_record(
    key: Ed25519PublicKey, line: bytes, number: int, prev: str
) -> tuple[str | None, str]:
    """(problem or None, this record's hash)."""
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return f"line {number}: not a JSON record", ""
    if not isinstance(record, dict) or set(record) != RECORD_FIELDS:
        return f"line {number}: fields are not the audit record fields", ""
    if canonical(record) != line:
        return f"line {number}: bytes differ from the canonical record (edited)", ""
    digest = record["hash"]
    if record["seq"] != number:
        return (
            f"line {number}: sequence number {record['seq']} (removed or reordered records)",
            digest,
        )
    if record["prev"] != prev:
        return f"line {number}: does not chain to the previous record", digest
    if record_hash(record) != digest:
        return f"line {number}: content does not match its hash (edited)", digest
    try:
        message = RECORD_CONTEXT + bytes.fromhex(digest)
    except (TypeError, ValueError):
        return f"line {number}: hash is not hex", digest
    if not signature_ok(key, record["sig"], message):
        return f"line {number}: signature does not verify", digest
    return None, digest
