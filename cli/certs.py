"""``privsplit certs init``: a private CA, a server certificate and client certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privsplit.cli.common import console

certs_app = typer.Typer(
    help="mTLS certificates for the cloud gateway and its edge clients.", no_args_is_help=True
)


@certs_app.command("init")
def init(
    directory: Annotated[
        Path, typer.Option("--dir", "-d", help="Where to write the files.")
    ] = Path("certs"),
    server_name: Annotated[
        list[str],
        typer.Option("--server-name", "-s", help="DNS name or IP of the gateway (repeatable)."),
    ] = ["localhost", "127.0.0.1"],  # noqa: B006 (typer copies list defaults)
    client: Annotated[
        list[str], typer.Option("--client", help="Client certificate name (repeatable).")
    ] = ["edge"],  # noqa: B006
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="Validity of leaf certificates.")
    ] = 365,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Create ca.pem/ca.key, server.pem/server.key and client-NAME.pem/.key (keys mode 0600)."""
    from privsplit.shared.tls import init_pki

    pki = init_pki(directory, server_names=server_name, clients=client, days=days, force=force)
    console.print(f"CA           {pki.ca.cert}  (keep {pki.ca.key} offline)", highlight=False)
    console.print(f"server       {pki.server.cert}  {pki.server.key}", highlight=False)
    for name, paths in pki.clients.items():
        console.print(f"client {name:<6}{paths.cert}  {paths.key}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(certs_app, name="certs")
