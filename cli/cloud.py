"""``privsplit cloud serve | new-token | health``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from privsplit.cli.common import console, err_console
from privsplit.cli.flags import settings_flags
from privsplit.cloud.settings import CloudSettings
from privsplit.edge.settings import EdgeSettings
from privsplit.shared import logging as plog

cloud_app = typer.Typer(help="The cloud gateway.", no_args_is_help=True)


@cloud_app.command("serve")
@settings_flags(
    CloudSettings,
    "host",
    "port",
    "backend",
    "model",
    "insecure",
    "tls_cert",
    "tls_key",
    "tls_client_ca",
    "metrics_port",
    "log_level",
)
def serve(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")] = None,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Serve CloudInference until SIGTERM, then shut down gracefully."""
    from privsplit.cloud.server import serve as run

    settings = CloudSettings.load(config, **(overrides or {}))
    plog.configure(settings.log_level)
    what = settings.openai.base_url if settings.backend == "openai" else settings.model
    err_console.print(
        f"privsplit cloud: backend={settings.backend} ({what}) "
        f"{'PLAIN TEXT' if settings.insecure else 'mTLS'} on {settings.host}:{settings.port}",
        highlight=False,
    )
    asyncio.run(run(settings))


@cloud_app.command("new-token")
def new_token(tenant: Annotated[str, typer.Argument(help="Tenant name.")]) -> None:
    """Print a new bearer token (give it to the tenant) and its sha256 (put it in the config)."""
    from privsplit.cloud.auth import hash_token
    from privsplit.cloud.auth import new_token as make
    from privsplit.cloud.settings import TenantConfig

    token = make()
    entry = TenantConfig(name=tenant, token_sha256=hash_token(token))
    err_console.print(
        "token (shown once; store it as the edge's cloud.token_file):", highlight=False
    )
    console.print(token, highlight=False)
    err_console.print("config entry for `tenants:` in the cloud config:", highlight=False)
    err_console.print(
        json.dumps({"name": entry.name, "token_sha256": entry.token_sha256}),
        highlight=False,
        soft_wrap=True,
    )


@cloud_app.command("health")
@settings_flags(
    EdgeSettings,
    "cloud.address",
    "cloud.tls_ca",
    "cloud.tls_cert",
    "cloud.tls_key",
    "cloud.tls_server_name",
    aliases={  # earlier spellings
        "cloud.address": ["--address"],
        "cloud.tls_ca": ["--tls-ca"],
        "cloud.tls_cert": ["--tls-cert"],
        "cloud.tls_key": ["--tls-key"],
        "cloud.tls_server_name": ["--server-name"],
    },
)
def health_check(
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 5.0,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Exit 0 when the gateway reports SERVING (for probes: grpc.health.v1 over mTLS). The
    flags are the edge's cloud settings (the client side of the connection); without
    --cloud-tls-ca the check is plain text, to a loopback address only."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from privsplit.edge.cloud_settings import CloudClientSettings
    from privsplit.shared.errors import ConfigError
    from privsplit.shared.net import is_loopback
    from privsplit.shared.tls import channel_credentials

    given = {k.removeprefix("cloud_"): v for k, v in (overrides or {}).items()}
    s = CloudClientSettings(**given)  # the flags only: no config file, no environment
    address, tls_ca, server_name = s.address, s.tls_ca, s.tls_server_name
    options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
    if tls_ca is None:
        if not is_loopback(address.rsplit(":", 1)[0].strip("[]")):
            raise ConfigError(
                "plain-text health checks are only allowed to a loopback address; pass --cloud-tls-ca"
            )
        channel = grpc.insecure_channel(address)
    else:
        channel = grpc.secure_channel(
            address, channel_credentials(ca=tls_ca, cert=s.tls_cert, key=s.tls_key), options
        )
    with channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError as err:
            err_console.print(f"not serving: {err.code().name}", highlight=False)
            raise typer.Exit(1) from None
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    console.print(status, highlight=False)
    raise typer.Exit(0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1)


def register(app: typer.Typer) -> None:
    app.add_typer(cloud_app, name="cloud")
