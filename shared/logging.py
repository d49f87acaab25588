"""Structured (JSON lines) logging that carries types, counts and timings, never text.

Call sites pass fields as keyword arguments: ``log.info("redacted", entities=3, ms=4.1)``.
Field names that usually hold private text are refused outright, so a slip fails loudly in
tests instead of leaking into a log file.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

FORBIDDEN_FIELDS = frozenset(
    {
        "text",
        "prompt",
        "completion",
        "content",
        "value",
        "values",
        "answer",
        "query",
        "messages",
        "document",
        "documents",
        "redacted_text",
        "outbound",
    }
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            payload["error"] = record.exc_info[0].__name__
        return json.dumps(payload, default=str)


class StructLogger:
    """A thin wrapper: ``event`` is a fixed string, everything else is a typed field."""

    def __init__(self, name: str) -> None:
        self._log = logging.getLogger(name)

    def _emit(self, level: int, event: str, fields: dict[str, Any], exc: bool = False) -> None:
        bad = FORBIDDEN_FIELDS.intersection(fields)
        if bad:
            raise ValueError(f"refusing to log fields that may hold private text: {sorted(bad)}")
        if self._log.isEnabledFor(level):
            self._log.log(level, event, extra={"fields": fields}, exc_info=exc)

    def debug(self, event: str, **fields: Any) -> None:
        self._emit(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit(logging.WARNING, event, fields)

    def error(self, event: str, *, exc: bool = False, **fields: Any) -> None:
        # exc=True records the exception *type* only: messages can carry private text.
        self._emit(logging.ERROR, event, fields, exc)


def get_logger(name: str) -> StructLogger:
    return StructLogger(name)


def configure(level: str = "INFO", stream: Any = None) -> None:
    """Send privsplit's logs to ``stream`` (stderr) as JSON lines. Idempotent."""
    root = logging.getLogger("privsplit")
    root.setLevel(level.upper())
    for h in list(root.handlers):
        if getattr(h, "_privsplit", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._privsplit = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.propagate = False


class Timer:
    """``with Timer() as t: ...; t.ms``"""

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        self.ms = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = round((time.perf_counter() - self._start) * 1000, 2)
