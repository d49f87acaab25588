"""``privsplit audit show|verify``: the egress audit log.

``show`` marks a record sent without protection (``privsplit ask --raw``: its decisions say
``protection: none``) with UNPROTECTED in front, so a raw send cannot pass for a guarded one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from privsplit.cli.common import console, err_console
from privsplit.cli.flags import settings_flags
from privsplit.edge.settings import EdgeSettings

audit_app = typer.Typer(help="The tamper-evident egress audit log.", no_args_is_help=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")]
# the directory is the setting daemon.audit_dir (--dir is its earlier spelling)
audit_dir_flag = settings_flags(
    EdgeSettings, "daemon.audit_dir", aliases={"daemon.audit_dir": ["--dir"]}
)


def unprotected(record: dict) -> bool:
    """Sent as given, nothing hidden (``protection: none``; ``*: raw`` in older records)."""
    decisions = record.get("decisions") or {}
    return decisions.get("protection") == "none" or decisions.get("*") == "raw"


def _directory(config: Path | None, overrides: dict[str, Any] | None) -> Path:
    overrides = overrides or {}
    if "daemon_audit_dir" in overrides:  # given: no config is read
        return Path(overrides["daemon_audit_dir"])
    return EdgeSettings.load(config).daemon.audit_dir


@audit_app.command("show")
@audit_dir_flag
def show(
    config: ConfigOption = None,
    last: Annotated[
        int, typer.Option("--last", min=0, help="Only the last N records (0: all).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Print what left the device: time, request, destination and the exact outbound text."""
    from privsplit.edge.audit.log import LOG_FILE, read_records
    from privsplit.shared.errors import AuditLogError

    path = _directory(config, overrides) / LOG_FILE
    try:
        records = list(read_records(path))
    except ValueError:
        raise AuditLogError(
            f"{path} holds a line that is not JSON; run `privsplit audit verify`"
        ) from None
    for record in records[-last:] if last else records:
        if as_json:
            print(json.dumps(record, ensure_ascii=False))
            continue
        when = dt.datetime.fromtimestamp(record.get("time", 0), dt.UTC).isoformat(
            timespec="seconds"
        )
        label = "[bold red]UNPROTECTED (raw, nothing hidden)[/] " if unprotected(record) else ""
        console.print(
            f"[bold]#{record.get('seq')}[/] {label}{when} request={record.get('request_id')} "
            f"conversation={record.get('conversation_id') or '-'} to={record.get('destination')} "
            f"decisions={record.get('decisions')}",
            highlight=False,
        )
        for i, text in enumerate(record.get("outbound", []), 1):
            console.print(f"  [dim]{i}:[/] ", end="", highlight=False)
            console.print(text, markup=False, highlight=False)
    if not records:
        err_console.print(f"no records in {path}")


@audit_app.command("verify")
@audit_dir_flag
def verify(
    config: ConfigOption = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key", help="Pinned public key (PEM); default: signing.pub in the directory."
        ),
    ] = None,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Check every record's hash, signature and chain, and the signed head. Exit 1 on any problem."""
    from privsplit.edge.audit import verify_log

    report = verify_log(_directory(config, overrides), public_key=public_key)
    for problem in report.problems:
        err_console.print(f"[bold red]tampered:[/] {problem}", highlight=False)
    for note in report.notes:
        err_console.print(f"note: {note}", highlight=False)
    status = "OK" if report.ok else "FAILED"
    console.print(
        f"{status}: {report.records} records, key sha256:{report.key_fingerprint}", highlight=False
    )
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
