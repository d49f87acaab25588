"""Settings of the cloud gateway process (env prefix PRIVSPLIT_CLOUD_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from privsplit.shared.settings import PrivsplitSettings


class CloudSettings(PrivsplitSettings):
    model_config = SettingsConfigDict(env_prefix="PRIVSPLIT_CLOUD_", extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=50051, ge=0, le=65535, description="gRPC port; 0 picks a free one.")
    backend: str = Field(default="llamacpp", description="Model backend name (llamacpp, openai).")
    model: str = Field(default="qwen2.5-coder-1.5b-instruct-q4_k_m",
                       description="Registered model name or path to a GGUF file (llamacpp backend).")
    n_ctx: int = Field(default=4096, ge=256, description="Context window in tokens (llamacpp).")
    n_threads: int | None = Field(default=None, ge=1, description="CPU threads (llamacpp); default all.")
    instances: int = Field(default=1, ge=1, le=64, description="Model instances (llamacpp).")
    max_queue: int = Field(default=64, ge=1, description="Requests allowed to wait for an instance.")
    default_max_tokens: int = Field(default=256, ge=1, description="max_tokens when a request leaves it 0.")
    max_tokens_limit: int = Field(default=2048, ge=1, description="Largest max_tokens a request may ask.")
    max_request_bytes: int = Field(default=256 * 1024, ge=1024, description="Largest serialized request.")
    max_subqueries: int = Field(default=16, ge=1, description="Most sub-queries in one CompleteBatch.")
    grace_seconds: float = Field(default=10.0, ge=0, description="Graceful shutdown period on SIGTERM.")
    insecure: bool = Field(default=False, description="Listen without TLS (refused unless host is loopback).")
