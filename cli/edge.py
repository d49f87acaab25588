"""``privsplit edge serve`` (the on-device agent daemon), ``privsplit edge ask`` (its client) and
``privsplit edge key`` (the API key its HTTP and TCP gRPC listeners require)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from privsplit.cli.common import err_console
from privsplit.cli.flags import settings_flags
from privsplit.edge.settings import EdgeSettings
from privsplit.shared import logging as plog

edge_app = typer.Typer(help="The on-device agent daemon.", no_args_is_help=True)
# earlier spellings of the generated flags (each still sets the same one setting)
EDGE_ALIASES = {
    "cloud.address": ["--cloud"],
    "cloud.insecure": ["--insecure"],
    "daemon.socket_path": ["--socket"],
    "daemon.grpc_tcp": ["--grpc-tcp"],
    "daemon.http_port": ["--http-port"],
    "daemon.audit_dir": ["--audit-dir"],
    "daemon.state_dir": ["--state-dir"],
    "daemon.require_approval": ["--require-approval"],
}


def _keep_none(overrides: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``overrides`` for ``load``, where ``None`` means "not given": a key that must really be
    set to null (``--no-http``) goes in as its section."""
    out = {k: v for k, v in overrides.items() if k not in keys}
    for key in keys:
        if key in overrides:
            section, name = key.split("_", 1)
            out[section] = {**out.get(section, {}), name: overrides[key]}
    return out


@edge_app.command("serve")
@settings_flags(
    EdgeSettings,
    "cloud.address",
    "cloud.insecure",
    "cloud.model",
    "cloud.tls_ca",
    "cloud.tls_cert",
    "cloud.tls_key",
    "cloud.token_file",
    "edge_model",
    "daemon.socket_path",
    "daemon.grpc_tcp",
    "daemon.http_port",
    "daemon.audit_dir",
    "daemon.state_dir",
    "daemon.require_approval",
    "log_level",
    aliases=EDGE_ALIASES,
)
def serve(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")
    ] = None,
    no_http: Annotated[bool, typer.Option("--no-http", help="Do not serve the HTTP API.")] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Serve the EdgeAgent gRPC API and the OpenAI-compatible HTTP API until SIGTERM."""
    from privsplit.edge.daemon.server import serve as run

    overrides = dict(overrides or {})
    if no_http:
        overrides["daemon_http_port"] = None
    settings = EdgeSettings.load(config, **_keep_none(overrides, "daemon_http_port"))
    plog.configure(settings.log_level)
    err_console.print(
        f"privsplit edge: socket {settings.daemon.socket_path}, cloud {settings.cloud.address}"
    )
    asyncio.run(run(settings))


@edge_app.command("key")
def key(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")
    ] = None,
    show_path: Annotated[
        bool, typer.Option("--path", help="Print the key file's path instead of the key.")
    ] = False,
) -> None:
    """Print the daemon's API key (creating its 0600 key file if missing), for
    `Authorization: Bearer KEY`, e.g. OPENAI_API_KEY="$(privsplit edge key)"."""
    from privsplit.edge.daemon.apikey import resolve_api_key
    from privsplit.edge.settings import EdgeSettings

    d = EdgeSettings.load(config).daemon
    if show_path:
        if d.api_key is not None:
            err_console.print("daemon.api_key is set in the configuration; no key file is used")
            raise typer.Exit(1)
        typer.echo(str(d.api_key_file))
        return
    typer.echo(resolve_api_key(d))


def _tcp_api_key(address: str | None) -> str | None:
    """The key for a TCP address: PRIVSPLIT_EDGE_DAEMON__API_KEY, else the key file."""
    import os

    if address is None or address.startswith("unix:"):
        return None
    if os.environ.get("PRIVSPLIT_EDGE_DAEMON__API_KEY"):
        return os.environ["PRIVSPLIT_EDGE_DAEMON__API_KEY"]
    from privsplit.edge.daemon.apikey import resolve_api_key
    from privsplit.edge.settings import EdgeSettings

    return resolve_api_key(EdgeSettings.load().daemon)


@edge_app.command("ask")
@settings_flags(  # which daemon to ask: the settings it serves on (no file is read)
    EdgeSettings,
    "daemon.socket_path",
    "daemon.grpc_tcp",
    aliases={"daemon.socket_path": ["--socket"], "daemon.grpc_tcp": ["--address"]},
)
def ask(
    text: Annotated[str, typer.Argument(help="The question; may contain private data.")],
    approve: Annotated[
        bool, typer.Option("--approve", help="Show the outbound text and ask before sending.")
    ] = False,
    conversation: Annotated[
        str, typer.Option("--conversation", help="Conversation id to continue.")
    ] = "",
    show_outbound: Annotated[
        bool, typer.Option("--show-outbound", help="Print what left the device.")
    ] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Ask the running daemon (SDK over its socket); the answer streams to stdout."""
    import sys

    from privsplit.client import Client

    overrides = overrides or {}
    socket_path, address = overrides.get("daemon_socket_path"), overrides.get("daemon_grpc_tcp")

    def confirm(outbound: tuple[str, ...]) -> bool:
        err_console.print("[bold]This would be sent to the cloud:[/]")
        for i, query in enumerate(outbound, 1):
            err_console.print(f"  [dim]#{i}:[/] ", end="")
            err_console.print(query, markup=False, highlight=False)
        return typer.confirm("Send it?", default=False, err=True)

    with Client(
        socket_path=socket_path,
        address=address,
        api_key=_tcp_api_key(address),
    ) as client:
        for event in client.stream(
            text, conversation_id=conversation, approve=confirm if approve else None
        ):
            if event.kind == "delta":
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif event.kind == "outbound" and show_outbound:
                for i, query in enumerate(event.outbound, 1):
                    err_console.print(f"[dim]sent to cloud #{i}:[/] ", end="")
                    err_console.print(query, markup=False, highlight=False)
    sys.stdout.write("\n")


def register(app: typer.Typer) -> None:
    app.add_typer(edge_app, name="edge")
