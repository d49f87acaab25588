"""Batch request files (JSONL) for ``privsplit plan`` and ``privsplit ask --input``.

Input lines: {"id": str, "text": str, "documents": [str, ...] (optional)}. A bad line is an
``InvalidRequest`` that names the file and line number (never its content); the whole file is
checked before any work starts, so nothing is silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from privsplit.shared.errors import InvalidRequest

_KEYS = {"id", "text", "documents"}


@dataclass(frozen=True)
class BatchRequest:
    line: int
    id: str
    text: str
    documents: tuple[str, ...] = ()


def parse_line(raw: str, *, line: int, where: str = "input") -> BatchRequest:
    def bad(why: str) -> InvalidRequest:
        return InvalidRequest(f"{where} line {line}: {why}")

    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise bad("JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise bad("expected a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise bad(f"unknown field(s) {', '.join(unknown)}; allowed: documents, id, text")
    rid, text, docs = data.get("id"), data.get("text"), data.get("documents", [])
    if not isinstance(rid, str) or not rid:
        raise bad("'id' must be a non-empty string")
    if not isinstance(text, str) or not text.strip():
        raise bad("'text' must be a non-empty string")
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        raise bad("'documents' must be a list of strings")
    return BatchRequest(line=line, id=rid, text=text, documents=tuple(docs))


def read_requests(path: Path) -> list[BatchRequest]:
    """All requests of ``path``, validated (blank lines are skipped; duplicate ids refused)."""
    try:
        lines = Path(path).read_bytes().split(b"\n")
    except FileNotFoundError:
        raise InvalidRequest(f"input file not found: {path}") from None
    out: list[BatchRequest] = []
    seen: set[str] = set()
    for number, data in enumerate(lines, 1):
        try:  # decoded line by line, so a bad byte names its line
            raw = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(f"{path} line {number}: not valid UTF-8") from None
        if not raw.strip():
            continue
        request = parse_line(raw, line=number, where=str(path))
        if request.id in seen:
            raise InvalidRequest(f"{path} line {number}: duplicate id")
        seen.add(request.id)
        out.append(request)
    return out
