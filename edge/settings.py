"""Settings of the edge process (env prefix PRIVSPLIT_EDGE_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from privsplit.edge.cache.settings import CacheSettings
from privsplit.edge.daemon.settings import DaemonSettings
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.edge.runtime.settings import RuntimeSettings
from privsplit.shared.settings import PrivsplitSettings


class EdgeSettings(PrivsplitSettings):
    """Top-level edge settings. Each area (privacy, runtime, daemon, pipeline) adds one nested
    section defined in its own module; set nested values from the environment with a double
    underscore, e.g. PRIVSPLIT_EDGE_RUNTIME__N_CTX=8192, or as a mapping in the YAML file."""

    model_config = SettingsConfigDict(
        env_prefix="PRIVSPLIT_EDGE_", env_nested_delimiter="__", extra="forbid"
    )

    cloud_address: str = Field(
        default="127.0.0.1:50051",
        description="host:port of the cloud gateway; the only place the edge connects to.",
    )
    cloud_insecure: bool = Field(
        default=False, description="Connect without TLS (only allowed to a loopback address)."
    )
    cloud_model: str = Field(
        default="", description="Model to ask the cloud for; empty uses its default."
    )
    cloud_deadline_seconds: float = Field(
        default=120.0, gt=0, description="Deadline of each cloud call."
    )
    cloud_keepalive_seconds: float = Field(
        default=10.0,
        ge=1,
        description="While a cloud call is open, ping the connection this often; a link that "
        "does not answer within half this time (at least 2 s) fails the call as unavailable "
        "instead of waiting for the deadline.",
    )
    cloud_tls_ca: Path | None = Field(
        default=None, description="CA that signed the cloud's server certificate (PEM)."
    )
    cloud_tls_cert: Path | None = Field(
        default=None, description="This device's client certificate for mTLS (PEM)."
    )
    cloud_tls_key: Path | None = Field(
        default=None, description="Its private key (PEM, mode 0600)."
    )
    cloud_tls_server_name: str = Field(
        default="",
        description="Expected name in the server certificate "
        "when it differs from the address host.",
    )
    cloud_token: SecretStr | None = Field(
        default=None, description="Per-tenant bearer token (prefer cloud_token_file)."
    )
    cloud_token_file: Path | None = Field(
        default=None, description="File holding the bearer token (mode 0600)."
    )
    edge_model: str = Field(
        default="qwen2.5-coder-0.5b-instruct-q4_k_m",
        description="Local model: registered name, path to a GGUF file, or an "
        "ONNX Runtime GenAI folder.",
    )
    max_tokens: int = Field(
        default=256, ge=1, description="Tokens the cloud may generate per sub-query."
    )
    daemon: DaemonSettings = Field(
        default_factory=DaemonSettings, description="The on-device agent daemon."
    )
    runtime: RuntimeSettings = Field(
        default_factory=RuntimeSettings, description="How the local model runs."
    )
    privacy: PrivacySettings = Field(
        default_factory=PrivacySettings, description="Detectors, policy and egress guard."
    )
    pipeline: PipelineSettings = Field(
        default_factory=PipelineSettings,
        description="How requests are split (summarize, plan, delegate, merge).",
    )
    cache: CacheSettings = Field(
        default_factory=CacheSettings,
        description="The private answer cache (encrypted on the device; on by default).",
    )
