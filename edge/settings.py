"""Settings of the edge process (env prefix PRIVSPLIT_EDGE_)."""

from __future__ import annotations

import os

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from privsplit.edge.cache.settings import CacheSettings
from privsplit.edge.cloud_settings import LEGACY_FLAT, CloudClientSettings
from privsplit.edge.daemon.settings import DaemonSettings
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.edge.runtime.settings import RuntimeSettings
from privsplit.shared.settings import PrivsplitSettings


class EdgeSettings(PrivsplitSettings):
    """Top-level edge settings. Each area (cloud, privacy, runtime, daemon, pipeline, cache)
    adds one nested section defined in its own module; set nested values from the environment
    with a double underscore, e.g. PRIVSPLIT_EDGE_RUNTIME__N_CTX=8192, or as a mapping in the
    YAML file. The command line sets ``cloud.address`` as ``--cloud-address`` (see
    ``PrivsplitSettings.load``)."""

    model_config = SettingsConfigDict(
        env_prefix="PRIVSPLIT_EDGE_", env_nested_delimiter="__", extra="forbid"
    )

    cloud: CloudClientSettings = Field(
        default_factory=CloudClientSettings,
        description="The cloud gateway this device sends sanitized sub-queries to.",
    )
    edge_model: str = Field(
        default="qwen2.5-coder-0.5b-instruct-q4_k_m",
        description="Local model: registered name, path to a GGUF file, or an "
        "ONNX Runtime GenAI folder.",
    )
    reader_model: str = Field(
        default="",
        description="Model that reads attached documents (the summarize step's chunk notes), "
        "given like edge_model; empty: edge_model reads them. A larger reader beside a small "
        "edge_model keeps the short steps (hide, plan, answer) fast; both stay loaded.",
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

    @model_validator(mode="before")
    @classmethod
    def _moved_to_cloud(cls, data: object) -> object:
        """The flat ``cloud_*`` keys of earlier versions are refused with where they went
        (they would otherwise be ignored in the environment, or called unknown in a file)."""
        found = [
            f"cloud_{n}" for n in LEGACY_FLAT if isinstance(data, dict) and f"cloud_{n}" in data
        ]
        found += [
            f"PRIVSPLIT_EDGE_CLOUD_{n.upper()}"
            for n in LEGACY_FLAT
            if f"PRIVSPLIT_EDGE_CLOUD_{n.upper()}" in os.environ
        ]
        if found:
            raise ValueError(
                f"{', '.join(found)}: the cloud settings moved to the 'cloud' section "
                "(YAML 'cloud: {address: ...}', environment PRIVSPLIT_EDGE_CLOUD__ADDRESS, "
                "flag --cloud-address)"
            )
        return data
