"""Builds the edge object graph from settings (constructor injection lives here only)."""

from __future__ import annotations

from privsplit.edge.delegate import CloudClient
from privsplit.edge.pipeline import Pipeline
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.types import GenerationParams


def build_redactor(settings: EdgeSettings) -> PrivacyEngine:
    """The privacy engine (detectors, policy) from ``settings.privacy``."""
    from privsplit.edge.privacy.factory import build_engine, resolve_llm_model

    privacy = settings.privacy
    return build_engine(privacy, llm_model_path=resolve_llm_model(settings, privacy) if privacy.llm else None)


def build_guard(settings: EdgeSettings) -> EgressGuard:
    from privsplit.edge.privacy.factory import build_egress_guard

    return build_egress_guard(settings.privacy)


def build_cloud_client(settings: EdgeSettings) -> CloudClient:
    return CloudClient.from_settings(settings)


def build_pipeline(settings: EdgeSettings, *, cloud: CloudClient | None = None) -> Pipeline:
    return Pipeline(redactor=build_redactor(settings), guard=build_guard(settings),
                    cloud=cloud or build_cloud_client(settings),
                    params=GenerationParams(max_tokens=settings.max_tokens, temperature=0.0, seed=42),
                    cloud_model=settings.cloud_model)
