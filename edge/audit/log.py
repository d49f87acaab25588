"""The egress audit log: append-only, hash-chained, Ed25519-signed JSON lines.

Every outbound batch is appended (and fsynced) *before* it is sent; ``AuditLog.hook`` is an
egress hook, so when the record cannot be written the pipeline sends nothing.

Layout of the log directory (0700):

``egress.log``   one canonical JSON object per line (sorted keys, no spaces, UTF-8):
                 ``seq`` (1, 2, ...), ``prev`` (hash of the previous record, 64 zeros for the
                 first), ``time``, ``request_id``, ``conversation_id``, ``destination``,
                 ``outbound`` (exact strings sent), ``decisions`` (policy decisions),
                 ``hash`` = sha256 of the canonical record without ``hash``/``sig``, and ``sig``
                 = Ed25519 signature of ``RECORD_CONTEXT + hash``.
``egress.head``  the signed position of the last record (``seq``, ``hash``, ``size`` of the log
                 in bytes), one 512-byte block overwritten in place after each append; it makes
                 removing records from the end detectable. Only the record is synced before
                 sending; a head that lags after a crash is rolled forward over signed records.
``signing.key``  the private key (0600); ``signing.pub`` its public half.

The outbound text is what left the device (sanitized); it is the point of the log and is
written to this file only, never to the process log.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from privsplit.edge.audit.keys import load_or_create_signing_key
from privsplit.edge.audit.records import (
    GENESIS,
    HEAD_FILE,
    LOCK_FILE,
    LOG_FILE,
    RECORD_CONTEXT,
    b64,
    canonical,
    check_record,
    head_bytes,
    head_message,
    record_hash,
)
from privsplit.edge.egress import OutboundBatch
from privsplit.shared.errors import AuditLogError
from privsplit.shared.logging import get_logger

log = get_logger(__name__)


class AuditLog:
    """Appends signed records; safe across threads and processes (``flock`` on a lock file)."""

    def __init__(self, *, directory: Path, fsync: bool = True) -> None:
        self.directory = Path(directory)
        self.fsync = fsync
        self.log_path = self.directory / LOG_FILE
        self.head_path = self.directory / HEAD_FILE
        self._key = None
        self._lock = threading.Lock()

    def open(self) -> AuditLog:
        """Create the directory and the signing key at first start; load the key after that."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._key = load_or_create_signing_key(self.directory)
        except OSError as exc:
            raise AuditLogError(
                f"audit log directory {self.directory} is not usable "
                f"({exc.strerror}); nothing can be sent"
            ) from None
        return self

    async def hook(self, batch: OutboundBatch) -> None:
        """Egress hook: append the batch or raise (then nothing is sent)."""
        await asyncio.to_thread(
            self.append,
            request_id=batch.request_id,
            conversation_id=batch.conversation_id,
            destination=batch.destination,
            outbound=batch.outbound,
            decisions=batch.decisions,
            when=batch.created,
        )

    def append(
        self,
        *,
        request_id: str,
        conversation_id: str,
        destination: str,
        outbound: Sequence[str],
        decisions: Mapping[str, str],
        when: float | None = None,
    ) -> dict[str, Any]:
        if self._key is None:
            self.open()
        try:
            with self._lock, _FileLock(self.directory / LOCK_FILE):
                return self._append_locked(
                    request_id, conversation_id, destination, outbound, decisions, when
                )
        except AuditLogError:
            raise
        except OSError as exc:
            log.error("audit_write_failed", error=type(exc).__name__, errno=exc.errno)
            raise AuditLogError(
                f"egress audit log cannot be written ({exc.strerror}); nothing was sent"
            ) from None

    def _append_locked(
        self,
        request_id: str,
        conversation_id: str,
        destination: str,
        outbound: Sequence[str],
        decisions: Mapping[str, str],
        when: float | None,
    ) -> dict[str, Any]:
        if not os.access(self.directory, os.W_OK):
            raise AuditLogError(
                f"audit log directory {self.directory} is read-only; nothing was sent"
            )
        seq, prev, size = self._read_head()
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            actual = os.fstat(fd).st_size
            if actual < size:
                raise AuditLogError(
                    "egress audit log is shorter than its signed head "
                    "(run `privsplit audit verify`); nothing was sent"
                )
            if actual > size:  # the head lags (a crash before it reached the disk)
                seq, prev = self._roll_forward(seq, prev, size, actual)
            size = actual
            body: dict[str, Any] = {
                "seq": seq + 1,
                "prev": prev,
                "time": round(when or time.time(), 6),
                "request_id": request_id,
                "conversation_id": conversation_id,
                "destination": destination,
                "outbound": list(outbound),
                "decisions": dict(sorted(decisions.items())),
            }
            body["hash"] = record_hash(body)
            body["sig"] = b64(self._key.sign(RECORD_CONTEXT + bytes.fromhex(body["hash"])))
            line = canonical(body) + b"\n"
            try:
                if os.write(fd, line) != len(line):  # a full disk takes part of the line
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                if self.fsync:
                    os.fdatasync(fd)  # the record is on disk before anything is sent
                self._write_head(body["seq"], body["hash"], size + len(line))
            except OSError:
                # roll back: the record was not released for sending, and no half record
                # may stay behind to break the next append
                os.ftruncate(fd, size)
                raise
        finally:
            os.close(fd)
        log.info("audit_appended", seq=body["seq"], strings=len(outbound))
        return body

    def _roll_forward(self, seq: int, prev: str, size: int, actual: int) -> tuple[int, str]:
        """Accept records beyond the head only when each is our own, signed and chained."""
        with self.log_path.open("rb") as fh:
            fh.seek(size)
            extra = fh.read(actual - size)
        lines = extra.split(b"\n")
        if lines[-1]:
            raise AuditLogError("egress audit log ends with an incomplete record; nothing was sent")
        for line in lines[:-1]:
            seq += 1
            problem, prev = check_record(self._key.public_key(), line, seq, prev)
            if problem:
                raise AuditLogError(
                    "egress audit log holds data beyond its signed head that does "
                    "not verify (run `privsplit audit verify`); nothing was sent"
                )
        log.warning("audit_head_rolled_forward", records=len(lines) - 1)
        return seq, prev

    def _read_head(self) -> tuple[int, str, int]:
        try:
            head = json.loads(self.head_path.read_bytes().rstrip(b" "))
        except FileNotFoundError:
            if self.log_path.exists() and self.log_path.stat().st_size:
                raise AuditLogError(
                    "egress audit log has records but no head file; nothing was sent"
                ) from None
            return 0, GENESIS, 0
        except ValueError:
            raise AuditLogError("egress audit head file is corrupt; nothing was sent") from None
        message = head_message(head.get("seq"), head.get("hash"), head.get("size"))
        try:
            self._key.public_key().verify(base64.b64decode(head.get("sig", "")), message)
        except Exception:
            raise AuditLogError(
                "egress audit head signature is invalid; nothing was sent"
            ) from None
        return int(head["seq"]), str(head["hash"]), int(head["size"])

    def _write_head(self, seq: int, digest: str, size: int) -> None:
        """Overwrite the fixed-size head in place (one 512-byte block, no rename). It is not
        synced: after a crash it may lag the log, and the next append rolls it forward over
        records that verify (a lagging head never accepts unsigned data)."""
        sig = b64(self._key.sign(head_message(seq, digest, size)))
        fd = os.open(self.head_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, head_bytes({"seq": seq, "hash": digest, "size": size, "sig": sig}), 0)
        finally:
            os.close(fd)

    def records(self) -> Iterator[dict[str, Any]]:
        """Parsed records, in order, without verification (``verify`` checks them)."""
        yield from read_records(self.log_path)


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for line in data.split(b"\n"):
        if line:
            yield json.loads(line)


class _FileLock:
    """An exclusive ``flock`` held for one append (other processes may share the directory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def __enter__(self) -> _FileLock:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
