"""The ``daemon`` section of the edge settings (PRIVSPLIT_EDGE_DAEMON__*, or ``daemon:`` in YAML)."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from privsplit.client._address import MAX_SOCKET_PATH, default_socket_path
from privsplit.shared.net import is_loopback
from privsplit.shared.settings import default_data_dir


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
        default=None, description="If set, required as a Bearer token by HTTP and TCP gRPC."
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
