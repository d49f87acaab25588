"""The ``cache`` section of the edge settings (PRIVSPLIT_EDGE_CACHE__*, or ``cache:`` in YAML)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from privsplit.shared.settings import default_cache_dir


class CacheSettings(BaseModel):
    """The private answer cache: sanitized questions and the cloud's sanitized answers, kept
    on the device encrypted (AES-256-GCM), so that a repeated question sends nothing."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=True,
        description="Answer a request whose sanitized sub-queries were all answered before from "
        "the cache (route=cache, nothing is sent); false: every request goes to the cloud.",
    )
    directory: Path = Field(
        default_factory=lambda: default_cache_dir() / "answers",
        description="Where the encrypted entries live (a 0700 directory of 0600 files).",
    )
    key_file: Path | None = Field(
        default=None,
        description="32-byte key of the entries (created 0600 at first use); default: "
        "cache.key beside the vault key (daemon.vault_key_file).",
    )
    ttl_seconds: int = Field(
        default=7 * 24 * 3600, ge=1, description="An entry older than this is a miss (and removed)."
    )
    max_entries: int = Field(
        default=5000, ge=1, description="Entries kept at most; the oldest go first."
    )
    max_entry_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Larger answers are not cached."
    )
