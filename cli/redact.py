"""``privsplit redact``: JSONL in, redacted JSONL out, one record at a time (flat memory).

By default it hides what the pipeline hides before anything leaves the device: the
detectors, then the rare-term pass (``pipeline.hide_terms``, on unless the config turns it
off); ``--no-pipeline-hide-terms`` (or ``--no-terms``) runs the detectors alone. The flags that
set a setting are generated from it (``cli.flags``): ``--privacy-detectors`` (``--detectors``),
``--privacy-llm``, ``--privacy-llm-model``, ``--privacy-llm-mode``, ``--privacy-llm-threads``,
``--privacy-policy-file`` (``--policy``).

Input lines: ``{"id": str, "text": str}``. Output lines: ``{"id", "redacted_text", "spans":
[{"start", "end", "entity_type", "score"}]}`` with offsets into the input text. Each record
gets its own vault (placeholders are numbered per record). A bad line stops the run with an
error that names the line; with ``--output`` the file appears only when every line passed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from privsplit.cli.flags import settings_flags
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import InvalidRequest, PrivacyBlocked


def _records(stream: IO[bytes] | IO[str]) -> Iterator[tuple[int, str, str]]:
    for number, raw in enumerate(stream, 1):
        try:  # decoded line by line, so a bad byte names its line
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            raise InvalidRequest(f"line {number}: not valid UTF-8 (byte {exc.start + 1})") from None
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRequest(
                f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        except RecursionError:
            raise InvalidRequest(f"line {number}: JSON nested too deeply") from None
        if not isinstance(record, dict):
            raise InvalidRequest(f"line {number}: expected a JSON object with 'id' and 'text'")
        missing = [k for k in ("id", "text") if k not in record]
        if missing:
            raise InvalidRequest(f"line {number}: missing field(s) {', '.join(missing)}")
        if not isinstance(record["id"], str) or not isinstance(record["text"], str):
            raise InvalidRequest(f"line {number}: 'id' and 'text' must be strings")
        extra = sorted(set(record) - {"id", "text"})
        if extra:
            raise InvalidRequest(f"line {number}: unknown field(s) {', '.join(extra)}")
        yield number, record["id"], record["text"]


def run_redact(engine, source: IO[bytes] | IO[str], sink: IO[str], *, batch_size: int = 64) -> int:
    """Redact every record of ``source`` into ``sink``; returns the number of records."""
    from privsplit.edge.privacy.vault import Vault

    records = _records(source)
    count = 0
    while batch := list(islice(records, batch_size)):
        texts = [t for _, _, t in batch]
        try:
            per_text = engine.detect_batch(texts)
        except PrivacyBlocked as exc:
            raise PrivacyBlocked(f"lines {batch[0][0]}-{batch[-1][0]}: {exc.message}") from None
        for (number, rid, text), spans in zip(batch, per_text):
            try:
                redaction = engine.apply(text, spans, Vault())
            except PrivacyBlocked as exc:
                raise PrivacyBlocked(
                    f"line {number}: {exc.message}", entity_types=exc.entity_types
                ) from None
            sink.write(
                json.dumps(
                    {
                        "id": rid,
                        "redacted_text": redaction.text,
                        "spans": [
                            {
                                "start": s.start,
                                "end": s.end,
                                "entity_type": s.entity_type,
                                "score": round(s.score, 4),
                            }
                            for s in redaction.spans
                        ],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            count += 1
    return count


@settings_flags(
    EdgeSettings,
    "privacy.detectors",
    "privacy.llm",
    "privacy.llm_model",
    "privacy.llm_mode",
    "privacy.llm_threads",
    "privacy.policy_file",
    "pipeline.hide_terms",
    aliases={
        "privacy.detectors": ["--detectors"],
        "privacy.llm": ["--llm/--no-llm"],
        "privacy.llm_model": ["--llm-model"],
        "privacy.policy_file": ["--policy"],
        "pipeline.hide_terms": ["--terms/--no-terms"],
    },
)
def redact(
    input: Annotated[
        Path | None, typer.Option("--input", "-i", help="JSONL input; stdin when omitted.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL output; stdout when omitted.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=4096, help="Records per NER batch.")
    ] = 64,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Redact private data from JSONL records."""
    from privsplit.edge.privacy.factory import build_engine, resolve_llm_model

    settings = EdgeSettings.load(config, **(overrides or {}))
    privacy = settings.privacy
    engine = build_engine(
        privacy,
        llm_model_path=resolve_llm_model(settings, privacy) if privacy.llm else None,
        terms=settings.pipeline.hide_terms,
    )
    source = sys.stdin.buffer if input is None else _open_input(input)
    if output is None:
        with source:
            run_redact(engine, source, sys.stdout, batch_size=batch_size)
        return
    tmp = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        with source, tmp.open("w", encoding="utf-8") as sink:
            run_redact(engine, source, sink, batch_size=batch_size)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)


def _open_input(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InvalidRequest(f"input file not found: {path}") from None


def register(app: typer.Typer) -> None:
    app.command("redact")(redact)
