"""Builds the edge object graph from settings (constructor injection lives here only)."""

from __future__ import annotations

from privsplit.edge.delegate import CloudClient
from privsplit.edge.pipeline import Pipeline, Redactor
from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.detectors.presidio import STRUCTURED_ENTITIES
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.types import GenerationParams


def build_redactor(settings: EdgeSettings) -> Redactor:
    return Redactor(detectors=[create_detector(name) for name in settings.detectors])


def build_guard(settings: EdgeSettings) -> EgressGuard:
    return EgressGuard(detectors=[create_detector("presidio", entities=STRUCTURED_ENTITIES)])


def build_cloud_client(settings: EdgeSettings) -> CloudClient:
    return CloudClient.from_settings(settings)


def build_pipeline(settings: EdgeSettings, *, cloud: CloudClient | None = None) -> Pipeline:
    return Pipeline(redactor=build_redactor(settings), guard=build_guard(settings),
                    cloud=cloud or build_cloud_client(settings),
                    params=GenerationParams(max_tokens=settings.max_tokens, temperature=0.0, seed=42),
                    cloud_model=settings.cloud_model)
