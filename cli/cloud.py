"""``privsplit cloud serve``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from privsplit.cli.common import err_console
from privsplit.shared import logging as plog

cloud_app = typer.Typer(help="The cloud gateway.", no_args_is_help=True)


@cloud_app.command("serve")
def serve(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config file.")] = None,
    host: Annotated[Optional[str], typer.Option(help="Listen address.")] = None,
    port: Annotated[Optional[int], typer.Option(help="gRPC port (0 picks one).")] = None,
    backend: Annotated[Optional[str], typer.Option(help="Backend name: llamacpp, openai.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Registered model name or GGUF path.")] = None,
    insecure: Annotated[Optional[bool], typer.Option("--insecure", help="Plain text, loopback only.")] = None,
) -> None:
    """Serve CloudInference until SIGTERM, then shut down gracefully."""
    from privsplit.cloud.server import serve as run
    from privsplit.cloud.settings import CloudSettings

    settings = CloudSettings.load(config, host=host, port=port, backend=backend, model=model,
                                  insecure=insecure)
    plog.configure(settings.log_level)
    err_console.print(f"privsplit cloud: backend={settings.backend} model={settings.model} "
                      f"listening on {settings.host}:{settings.port}")
    asyncio.run(run(settings))


def register(app: typer.Typer) -> None:
    app.add_typer(cloud_app, name="cloud")
