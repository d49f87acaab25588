"""The ``cloud`` section of the edge settings (``cloud:`` in YAML, PRIVSPLIT_EDGE_CLOUD__*):
where the edge's one cloud client connects and how (``cloud_client.CloudClient``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# The flat names these settings had before they became a section: each maps to ``cloud.NAME``.
LEGACY_FLAT = (
    "address",
    "insecure",
    "model",
    "deadline_seconds",
    "keepalive_seconds",
    "tls_ca",
    "tls_cert",
    "tls_key",
    "tls_server_name",
    "token",
    "token_file",
)


class CloudClientSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(
        default="127.0.0.1:50051",
        description="host:port of the cloud gateway; the only place the edge connects to.",
    )
    insecure: bool = Field(
        default=False, description="Connect without TLS (only allowed to a loopback address)."
    )
    model: str = Field(
        default="", description="Model to ask the cloud for; empty uses its default."
    )
    deadline_seconds: float = Field(default=120.0, gt=0, description="Deadline of each cloud call.")
    keepalive_seconds: float = Field(
        default=10.0,
        ge=1,
        description="While a cloud call is open, ping the connection this often; a link that "
        "does not answer within half this time (at least 2 s) fails the call as unavailable "
        "instead of waiting for the deadline.",
    )
    tls_ca: Path | None = Field(
        default=None, description="CA that signed the cloud's server certificate (PEM)."
    )
    tls_cert: Path | None = Field(
        default=None, description="This device's client certificate for mTLS (PEM)."
    )
    tls_key: Path | None = Field(default=None, description="Its private key (PEM, mode 0600).")
    tls_server_name: str = Field(
        default="",
        description="Expected name in the server certificate "
        "when it differs from the address host.",
    )
    token: SecretStr | None = Field(
        default=None, description="Per-tenant bearer token (prefer token_file)."
    )
    token_file: Path | None = Field(
        default=None, description="File holding the bearer token (mode 0600)."
    )
