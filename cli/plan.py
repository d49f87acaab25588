"""``privsplit plan``: dry run of the split; prints what would leave the device. No cloud call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from privsplit.cli.common import err_console
from privsplit.cli.flags import settings_flags
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import PrivacyBlocked


@settings_flags(EdgeSettings, "edge_model")
def plan(
    input: Annotated[Path, typer.Option("--input", help="JSONL of {id, text, documents?}.")],
    output: Annotated[
        Path, typer.Option("--output", help="JSONL of {id, route, outbound, reid?}.")
    ],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")
    ] = None,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Plan each request (temperature 0, fixed seed) and write every string exactly as it
    would be sent to the cloud. Nothing is sent."""
    from privsplit.edge.pipeline.requests import read_requests
    from privsplit.edge.privacy.vault import Vault
    from privsplit.edge.provider import build_pipeline

    requests = read_requests(input)
    settings = EdgeSettings.load(config, **(overrides or {}))
    pipeline = build_pipeline(settings, offline=True)
    with output.open("w", encoding="utf-8") as out:
        for request in requests:
            try:
                planned = pipeline.plan_request(request.text, Vault(), documents=request.documents)
                line = {"id": request.id, "route": planned.route, "outbound": planned.sent}
                reid = {k: v for k, v in planned.decisions.items() if k.startswith("reid")}
                if reid:  # the re-identification budget: spend and what it generalized
                    line["reid"] = reid
            except PrivacyBlocked as exc:
                err_console.print(
                    f"[yellow]{escape(request.id)}: blocked[/] ({escape(exc.message)})",
                    highlight=False,
                )
                line = {"id": request.id, "route": "blocked", "outbound": []}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
    err_console.print(f"{len(requests)} plans written to {output}")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
