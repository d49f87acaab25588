"""``privsplit ask``: one request through the edge pipeline to the cloud."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from privsplit.cli.common import console, err_console


def ask(
    text: Annotated[str, typer.Argument(help="The question; may contain private data.")],
    cloud: Annotated[Optional[str], typer.Option("--cloud", help="Cloud address host:port.")] = None,
    insecure: Annotated[Optional[bool], typer.Option("--insecure", help="Plain-text connection (loopback only).")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Edge YAML config file.")] = None,
    show_outbound: Annotated[bool, typer.Option("--show-outbound", help="Print what left the device.")] = False,
) -> None:
    """Answer TEXT: private data is hidden before anything leaves the device."""
    from privsplit.edge.provider import build_pipeline
    from privsplit.edge.settings import EdgeSettings

    settings = EdgeSettings.load(config, cloud_address=cloud, cloud_insecure=insecure)
    pipeline = build_pipeline(settings)

    async def run():
        try:
            return await pipeline.ask(text)
        finally:
            await pipeline.cloud.close()

    result = asyncio.run(run())
    if show_outbound:
        for i, query in enumerate(result.outbound, 1):
            err_console.print(f"[dim]sent to cloud #{i}:[/] {query}", highlight=False)
    console.print(result.answer, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
