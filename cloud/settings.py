"""Settings of the cloud gateway process (env prefix PRIVSPLIT_CLOUD_).

Nested sections (``openai``, ``tenants``) are mappings in the YAML file; from the
environment use a double underscore (PRIVSPLIT_CLOUD_OPENAI__BASE_URL=...) or JSON for
the tenant list (PRIVSPLIT_CLOUD_TENANTS='[{"name": ...}]').
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from privsplit.shared.net import is_loopback
from privsplit.shared.settings import PrivsplitSettings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TenantConfig(BaseModel):
    """One tenant: who it is (bearer token, allowed client certificates) and its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Tenant name (appears in logs and metric labels).",
    )
    token_sha256: str = Field(
        description="Hex sha256 of the tenant's bearer token "
        "(`privsplit cloud new-token` prints one); never the token itself."
    )
    client_names: list[str] = Field(
        default_factory=list,
        description="Client certificate CNs allowed to use this token; empty allows any "
        "certificate signed by the client CA.",
    )
    models: list[str] = Field(
        default_factory=list, description="Models this tenant may use; empty allows all."
    )
    rate_per_second: float = Field(default=20.0, gt=0, description="Sustained requests per second.")
    burst: int = Field(
        default=40, ge=1, description="Requests allowed in a burst above the sustained rate."
    )
    max_streams: int = Field(default=64, ge=1, description="Concurrent open streams.")

    @field_validator("token_sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _SHA256.match(v):
            raise ValueError(
                "must be 64 lowercase hex characters (a sha256 digest), not a raw token"
            )
        return v


class OpenAIBackendSettings(BaseModel):
    """The ``openai`` backend: any OpenAI-compatible HTTP server (vLLM, TGI, Ollama, llama.cpp)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(default="http://127.0.0.1:8000/v1", description="Base URL including /v1.")
    model: str = Field(
        default="", description="Model name to request; empty asks the server's /models."
    )
    api_key_env: str = Field(
        default="", description="Name of an env variable holding the backend's API key."
    )
    context_length: int = Field(
        default=0, ge=0, description="Context window to report; 0 when unknown."
    )
    connect_timeout: float = Field(default=5.0, gt=0, description="Seconds to open a connection.")
    read_timeout: float = Field(
        default=120.0, gt=0, description="Longest silence between two chunks."
    )
    max_connections: int = Field(
        default=256, ge=1, description="Pooled HTTP connections to the backend."
    )
    connect_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries when connecting fails (never after a byte was sent).",
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")


class CloudSettings(PrivsplitSettings):
    model_config = SettingsConfigDict(
        env_prefix="PRIVSPLIT_CLOUD_", env_nested_delimiter="__", extra="forbid"
    )

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=50051, ge=0, le=65535, description="gRPC port; 0 picks a free one.")
    backend: str = Field(default="llamacpp", description="Model backend name (llamacpp, openai).")
    model: str = Field(
        default="qwen2.5-coder-1.5b-instruct-q4_k_m",
        description="Registered model name or path to a GGUF file (llamacpp backend).",
    )
    n_ctx: int = Field(default=4096, ge=256, description="Context window in tokens (llamacpp).")
    n_threads: int | None = Field(
        default=None, ge=1, description="CPU threads (llamacpp); default all."
    )
    instances: int = Field(default=1, ge=1, le=64, description="Model instances (llamacpp).")
    max_queue: int = Field(
        default=64, ge=1, description="Requests allowed to wait for an instance."
    )
    openai: OpenAIBackendSettings = Field(
        default_factory=OpenAIBackendSettings, description="The openai backend's connection."
    )
    default_max_tokens: int = Field(
        default=256, ge=1, description="max_tokens when a request leaves it 0."
    )
    max_tokens_limit: int = Field(
        default=2048, ge=1, description="Largest max_tokens a request may ask."
    )
    max_request_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest serialized request."
    )
    default_deadline_seconds: float = Field(
        default=120.0, gt=0, description="Deadline applied when a client sets none."
    )
    max_deadline_seconds: float = Field(
        default=600.0, gt=0, description="Longest deadline honoured."
    )
    handshake_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A connection that has not finished its TLS handshake by then is closed "
        "(idle or slow-loris sockets).",
    )
    connection_idle_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A connection with no call open for this long is closed (GOAWAY); "
        "clients reconnect on their next call.",
    )
    connection_max_age_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="A connection is asked to go away after this long; calls open on it get "
        "max_deadline_seconds more, then it is closed (bounds a stream whose request never "
        "arrives).",
    )
    max_streams_per_connection: int = Field(
        default=128, ge=1, description="Concurrent calls one connection may open."
    )
    grace_seconds: float = Field(
        default=10.0, ge=0, description="Graceful shutdown period on SIGTERM."
    )
    insecure: bool = Field(
        default=False, description="Listen without TLS (refused unless host is loopback)."
    )
    tls_cert: Path | None = Field(default=None, description="Server certificate (PEM).")
    tls_key: Path | None = Field(default=None, description="Server private key (PEM, mode 0600).")
    tls_client_ca: Path | None = Field(
        default=None, description="CA that signs client certificates (PEM)."
    )
    tls_client_crl: Path | None = Field(
        default=None,
        description="Revoked client certificates: a CRL (PEM or DER) signed by tls_client_ca; "
        "re-read when the file changes. A revoked client gets UNAUTHENTICATED.",
    )
    revoked_client_fingerprints: list[str] = Field(
        default_factory=list,
        description="Revoked client certificates by SHA-256 fingerprint of the DER "
        "(hex, colons allowed: `openssl x509 -noout -fingerprint -sha256 -in c.pem`); "
        "a revoked client gets UNAUTHENTICATED.",
    )
    tenants: list[TenantConfig] = Field(
        default_factory=list, description="Tenants and their hashed tokens; required with TLS."
    )
    auth_max_failures: int = Field(
        default=10,
        ge=1,
        description="Failed authentications a client may make in auth_failure_window_seconds "
        "before it is refused (RESOURCE_EXHAUSTED) until the window passes.",
    )
    auth_failure_window_seconds: float = Field(
        default=60.0, gt=0, description="The window of auth_max_failures, in seconds."
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address of the Prometheus metrics endpoint."
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Prometheus metrics HTTP port; unset disables, 0 picks one.",
    )

    @field_validator("revoked_client_fingerprints")
    @classmethod
    def _fingerprints(cls, v: list[str]) -> list[str]:
        out = [f.replace(":", "").strip().lower() for f in v]
        bad = [f for f in out if not _SHA256.match(f)]
        if bad:
            raise ValueError(f"not a SHA-256 fingerprint (64 hex characters): {bad[0][:20]}")
        return out

    @model_validator(mode="after")
    def _consistent(self) -> CloudSettings:
        if self.insecure and not is_loopback(self.host):
            raise ValueError(
                "insecure (plain-text) listening is only allowed on a loopback host, "
                f"not {self.host}"
            )
        tls = [self.tls_cert, self.tls_key, self.tls_client_ca]
        if not self.insecure and any(p is None for p in tls):
            missing = [
                n for n, p in zip(("tls_cert", "tls_key", "tls_client_ca"), tls) if p is None
            ]
            raise ValueError(
                f"TLS needs {', '.join(missing)} (or insecure: true on a loopback host)"
            )
        if not self.insecure and not self.tenants:
            raise ValueError("at least one entry in 'tenants' is required when TLS is on")
        names = [t.name for t in self.tenants]
        if len(set(names)) != len(names):
            raise ValueError("tenant names must be unique")
        hashes = [t.token_sha256 for t in self.tenants]
        if len(set(hashes)) != len(hashes):
            raise ValueError("two tenants share a token")
        if self.default_deadline_seconds > self.max_deadline_seconds:
            raise ValueError("default_deadline_seconds exceeds max_deadline_seconds")
        return self
