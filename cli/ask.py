"""``privsplit ask``: requests through the edge pipeline to the cloud (one, or a JSONL batch).

Every send passes the pipeline's egress gate, as in the daemon: the audit record (the
``daemon.audit_dir`` log) is written and synced first, ``--raw`` sends included (recorded with
``protection: none``); ``--approve`` shows the outbound text and asks y/N on the terminal
first. An unusable audit log or a "no" sends nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from privsplit.cli.common import console, err_console
from privsplit.cli.flags import settings_flags
from privsplit.edge.egress import EgressHook, OutboundBatch
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ApprovalRejected, AuditLogError, InvalidRequest, PrivacyBlocked

RAW_LABEL = (
    "[bold red]NO PROTECTION (--raw baseline):[/] the text and documents are sent to the "
    "cloud exactly as given; nothing is detected, hidden or guarded."
)


def read_documents(paths: list[Path] | None) -> list[str]:
    docs: list[str] = []
    for path in paths or []:
        try:
            docs.append(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidRequest(f"document not found: {path}") from None
        except UnicodeDecodeError:
            raise InvalidRequest(f"document {path} is not UTF-8 text") from None
    return docs


def summarize_progress():
    """A rich progress bar for the local summarize step: (bar, callback). It shows chunks
    read / to read (the total grows when the reading widens), the time spent and an ETA."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from privsplit.edge.pipeline.progress import ProgressMeter

    bar = Progress(
        TextColumn("[bold]reading documents on the device"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        TimeElapsedColumn(),
        TextColumn("ETA {task.fields[eta]}"),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("read", total=None, eta="-:--:--")
    # the pipeline's own estimate (pace of the chunks read so far): rich's speed window needs
    # more samples than a reading of two or three chunks gives
    meter = ProgressMeter()

    def callback(step: str, done: int, total: int) -> None:
        eta = meter(step, done, total).eta_seconds
        shown = "-:--:--" if eta is None else str(timedelta(seconds=round(eta)))
        bar.update(task, completed=done, total=total, eta=shown)

    return bar, callback


def terminal_approval(*, unprotected: bool) -> EgressHook:
    """An egress hook that shows the outbound text on stderr and asks y/N on the terminal;
    anything but yes raises ``ApprovalRejected`` (nothing is sent)."""

    def confirm(outbound: tuple[str, ...]) -> bool:
        warning = " [bold red](NO PROTECTION)[/]" if unprotected else ""
        err_console.print(f"[bold]This would be sent to the cloud{warning}:[/]")
        for i, query in enumerate(outbound, 1):
            err_console.print(f"  [dim]#{i}:[/] ", end="")
            err_console.print(query, markup=False, highlight=False)
        try:
            return typer.confirm("Send it?", default=False, err=True)
        except typer.Abort:  # end of input or Ctrl-C at the prompt
            return False

    async def hook(batch: OutboundBatch) -> None:
        if not await asyncio.to_thread(confirm, batch.outbound):
            raise ApprovalRejected("the outbound text was rejected; nothing was sent")
        batch.decisions["approval"] = "approved"  # recorded by the audit hook that follows

    return hook


def result_line(rid: str, result) -> dict:
    return {
        "id": rid,
        "answer": result.answer,
        "route": result.route,
        "outbound": list(result.outbound),
        "cloud_tokens": {
            "prompt": result.cloud_usage.prompt_tokens,
            "completion": result.cloud_usage.completion_tokens,
        },
        "seconds": {"edge": round(result.seconds_edge, 3), "total": round(result.seconds_total, 3)},
    }


@settings_flags(
    EdgeSettings,
    "cloud.address",
    "cloud.insecure",
    "cloud.model",
    "edge_model",
    "max_tokens",
    aliases={"cloud.address": ["--cloud"], "cloud.insecure": ["--insecure"]},
)
def ask(
    text: Annotated[
        str | None, typer.Argument(help="The question; may contain private data.")
    ] = None,
    document: Annotated[
        list[Path] | None,
        typer.Option(
            "--document",
            "-d",
            help="Private document (text file) to read on the device; repeatable.",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")
    ] = None,
    show_outbound: Annotated[
        bool, typer.Option("--show-outbound", help="Print what left the device.")
    ] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="Baseline with NO protection: send the text as is.")
    ] = False,
    input: Annotated[
        Path | None, typer.Option("--input", help="Batch: JSONL of {id, text, documents?}.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Batch: JSONL results.")] = None,
    approve: Annotated[
        bool,
        typer.Option("--approve", help="Show the outbound text and ask y/N before sending."),
    ] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Answer TEXT: private data is hidden before anything leaves the device, and what leaves
    is recorded in the egress audit log first."""
    from privsplit.edge.pipeline.requests import read_requests
    from privsplit.edge.privacy.vault import Vault
    from privsplit.edge.provider import build_pipeline

    if (input is None) != (output is None):
        raise InvalidRequest("--input and --output go together")
    if input is not None and (text is not None or document):
        raise InvalidRequest("give either TEXT (and --document) or --input/--output, not both")
    if input is None and text is None:
        raise InvalidRequest("nothing to ask: give TEXT or --input/--output")
    if approve and (sys.stdin is None or not sys.stdin.isatty()):
        raise ApprovalRejected(
            "--approve asks on the terminal, and stdin is not a terminal; nothing was sent"
        )
    requests = read_requests(input) if input is not None else []
    settings = EdgeSettings.load(config, **(overrides or {}))
    if raw:
        err_console.print(RAW_LABEL)
        settings = settings.model_copy(
            update={"pipeline": settings.pipeline.model_copy(update={"mode": "redact"})}
        )  # the raw baseline needs no edge model
    pipeline = build_pipeline(settings)  # audited: settings.daemon.audit_dir
    hooks = [terminal_approval(unprotected=raw)] if approve else []

    async def one(question: str, docs: list[str] | tuple[str, ...], progress=None):
        if raw:
            return await pipeline.ask_raw(question, documents=docs, extra_hooks=hooks)
        return await pipeline.ask(
            question, vault=Vault(), documents=docs, progress=progress, extra_hooks=hooks
        )

    async def run_single():
        docs = read_documents(document)
        try:
            if docs and not raw and not approve:  # a live bar would garble the prompt
                bar, callback = summarize_progress()
                with bar:
                    return await one(text, docs, callback)
            return await one(text, docs)
        finally:
            await pipeline.aclose()

    async def run_batch() -> int:
        done = 0
        try:
            with output.open("w", encoding="utf-8") as out:
                for request in requests:
                    try:
                        line = result_line(request.id, await one(request.text, request.documents))
                    except AuditLogError:
                        raise  # no record, no sending: the whole batch stops here
                    except PrivacyBlocked as exc:
                        err_console.print(
                            f"[yellow]{escape(request.id)}: blocked[/] ({escape(exc.message)})",
                            highlight=False,
                        )
                        line = {
                            "id": request.id,
                            "answer": "",
                            "route": "blocked",
                            "outbound": [],
                            "cloud_tokens": {"prompt": 0, "completion": 0},
                            "seconds": {"edge": 0.0, "total": 0.0},
                        }
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                    out.flush()
                    done += 1
        finally:
            await pipeline.aclose()
        return done

    if input is not None:
        count = asyncio.run(run_batch())
        err_console.print(f"{count} answers written to {output}")
        return
    result = asyncio.run(run_single())
    if show_outbound:
        label = "sent to cloud (NO PROTECTION)" if raw else "sent to cloud"
        if not result.outbound:
            err_console.print(f"[dim]nothing was sent (route={result.route})[/]")
        for i, query in enumerate(result.outbound, 1):
            err_console.print(Text.assemble((f"{label} #{i}:", "dim"), " ", query), highlight=False)
        if result.outbound:
            err_console.print(
                f"[dim]route={result.route}; recorded in the audit log "
                f"{escape(str(settings.daemon.audit_dir))}[/]"
            )
    console.print(result.answer, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
