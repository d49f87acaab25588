"""Builds the edge object graph from settings (constructor injection lives here only)."""

from __future__ import annotations

from privsplit.edge.delegate import CloudClient
from privsplit.edge.pipeline import Pipeline
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.restore import StreamRestorer
from privsplit.edge.runtime import LocalModel
from privsplit.edge.runtime.resolve import open_local_model
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.models import ModelStore
from privsplit.shared.types import GenerationParams


def build_redactor(settings: EdgeSettings) -> PrivacyEngine:
    """The privacy engine (detectors, policy) from ``settings.privacy``."""
    from privsplit.edge.privacy.factory import build_engine, resolve_llm_model

    privacy = settings.privacy
    return build_engine(
        privacy, llm_model_path=resolve_llm_model(settings, privacy) if privacy.llm else None
    )


def build_guard(settings: EdgeSettings) -> EgressGuard:
    from privsplit.edge.privacy.factory import build_egress_guard

    return build_egress_guard(settings.privacy)


def build_cloud_client(settings: EdgeSettings) -> CloudClient:
    return CloudClient.from_settings(settings)


def build_pipeline(
    settings: EdgeSettings,
    *,
    cloud: CloudClient | None = None,
    local: LocalModel | None = None,
    offline: bool = False,
) -> Pipeline:
    """The request pipeline. In ``pipeline.mode=split`` it gets the edge model (loaded lazily,
    on the first request that needs it); ``local`` injects an already built one; ``offline``
    builds no cloud client (dry runs: ``privsplit plan``)."""
    if local is None and settings.pipeline.mode == "split":
        # resolved (registered name, GGUF path or ONNX folder), verified, loaded on first use
        local = open_local_model(
            ref=settings.edge_model,
            settings=settings.runtime,
            store=ModelStore(root=settings.models_dir),
            seed=settings.pipeline.seed,
        )
    return Pipeline(
        redactor=build_redactor(settings),
        guard=build_guard(settings),
        cloud=None if offline else (cloud or build_cloud_client(settings)),
        local=local,
        settings=settings.pipeline,
        params=GenerationParams(
            max_tokens=settings.max_tokens, temperature=0.0, seed=settings.pipeline.seed
        ),
        cloud_model=settings.cloud_model,
        restorer_factory=StreamRestorer,
    )
