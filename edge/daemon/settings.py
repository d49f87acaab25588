"""The ``daemon`` section of the edge settings (PRIVSPLIT_EDGE_DAEMON__*, or ``daemon:`` in YAML)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from privsplit.client._address import MAX_SOCKET_PATH, default_socket_path
from privsplit.shared.net import is_loopback
from privsplit.shared.settings import default_data_dir

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# token_urlsafe's alphabet fits; a key set by hand may use any visible ASCII (an HTTP header)
API_KEY_RE = re.compile(r"^[\x21-\x7e]{16,512}$")


class DaemonSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    socket_path: Path = Field(
        default_factory=default_socket_path,
        description="Unix socket of the gRPC EdgeAgent (created 0600).",
    )
    socket_group_access: bool = Field(
        default=False,
        description="Socket mode 0660 instead of 0600: members of the daemon's group may "
        "connect (a system-wide daemon, e.g. the systemd unit; apps then trust its user).",
    )
    grpc_tcp: str | None = Field(
        default=None, description="Also serve gRPC on this loopback host:port (port 0 picks one)."
    )
    http_host: str = Field(
        default="127.0.0.1", description="OpenAI-compatible HTTP API host (loopback only)."
    )
    http_port: int | None = Field(
        default=8765,
        ge=0,
        le=65535,
        description="HTTP API port; 0 picks one; null disables the HTTP API.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="Bearer token required by HTTP and TCP gRPC; unset: the key in api_key_file.",
    )
    api_key_file: Path | None = Field(
        default=None,
        description="Key file used when api_key is unset (created 0600 at first start; "
        "`privsplit edge key` prints it); default: api.key beside vault_key_file.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: list(LOOPBACK_HOSTS),
        description="Host header values the HTTP API answers (any port); others get 403 "
        "(DNS rebinding). '*' allows any.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser Origins allowed to call the HTTP API ('*' wildcards, e.g. "
        "'http://localhost:*'); PRIVSPLIT_ORIGINS (comma-separated) adds more. Default: none.",
    )
    state_dir: Path = Field(
        default_factory=lambda: default_data_dir() / "edge",
        description="Conversations (vaults encrypted with AES-256-GCM) live here.",
    )
    vault_key_file: Path = Field(
        default_factory=lambda: Path(platformdirs.user_config_dir("privsplit")) / "vault.key",
        description="32-byte key of the conversation vaults (created 0600 at first start); "
        "kept apart from state_dir.",
    )
    audit_dir: Path = Field(
        default_factory=lambda: default_data_dir() / "audit",
        description="Egress audit log directory (signing key created at first start).",
    )
    audit_fsync: bool = Field(default=True, description="fsync every audit record before sending.")
    conversation_ttl_seconds: int = Field(
        default=3600, ge=1, description="Idle time after which a conversation expires."
    )
    max_conversations: int = Field(default=10_000, ge=1, description="Open conversations at most.")
    require_approval: bool = Field(
        default=False, description="Hold every request until its outbound text is approved."
    )
    approval_timeout_seconds: float = Field(
        default=300.0, gt=0, description="A held request is rejected after this long."
    )
    max_request_chars: int = Field(
        default=100_000, ge=1, description="Longest accepted request text."
    )
    grace_seconds: float = Field(
        default=5.0, ge=0, description="Graceful shutdown period on SIGTERM."
    )

    @field_validator("api_key")
    @classmethod
    def _key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not API_KEY_RE.match(value.get_secret_value()):
            raise ValueError("the API key must be 16-512 visible ASCII characters (no spaces)")
        return value

    @field_validator("allowed_hosts", "allowed_origins")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]

    @model_validator(mode="after")
    def _derived(self) -> DaemonSettings:
        if self.api_key_file is None:
            self.api_key_file = self.vault_key_file.parent / "api.key"
        extra = os.environ.get("PRIVSPLIT_ORIGINS", "").lower().split(",")
        origins = [*self.allowed_origins, *(o.strip() for o in extra if o.strip())]
        self.allowed_origins = list(dict.fromkeys(origins))
        return self

    @field_validator("socket_path")
    @classmethod
    def _short_enough(cls, value: Path) -> Path:
        if len(str(value).encode()) > MAX_SOCKET_PATH:
            raise ValueError(f"socket path is longer than {MAX_SOCKET_PATH} bytes")
        return value

    @field_validator("http_host")
    @classmethod
    def _http_loopback(cls, value: str) -> str:
        if not is_loopback(value):
            raise ValueError("the HTTP API listens on a loopback address only")
        return value

    @field_validator("grpc_tcp")
    @classmethod
    def _tcp_loopback(cls, value: str | None) -> str | None:
        if value is None:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            raise ValueError("expected host:port")
        if not is_loopback(host):
            raise ValueError("gRPC over TCP listens on a loopback address only")
        return value
