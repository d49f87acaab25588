"""Builds the privacy engine and the egress guard from ``EdgeSettings.privacy``.

``edge/provider.py`` delegates here so the object graph of the privacy path is defined in
one place, next to the code it builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from privsplit.edge.privacy.detectors import Detector, create_detector, detector_class
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.policy import Policy
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.shared.models import ModelStore

if TYPE_CHECKING:
    from privsplit.edge.settings import EdgeSettings


def load_policy(privacy: PrivacySettings) -> Policy:
    return Policy.from_yaml(privacy.policy_file) if privacy.policy_file else Policy()


def detector_kwargs(
    name: str,
    privacy: PrivacySettings,
    *,
    llm_model_path: Path | None = None,
    model_output_failure: str = "closed",
) -> dict[str, Any]:
    table: dict[str, dict[str, Any]] = {
        "patterns": {"files": list(privacy.recognizer_files)},
        "spacy": {"model": privacy.spacy_model, "models": dict(privacy.ner_models)},
        "presidio_patterns": {"files": list(privacy.presidio_recognizer_files)},
        "llm": {
            "model": llm_model_path,
            "max_chars": privacy.llm_max_chars,
            "max_tokens": privacy.llm_max_tokens,
            "mode": privacy.llm_mode,
            "threads": privacy.llm_threads,
            "on_bad_output": model_output_failure,
        },
    }
    return table.get(name, {})


def build_detectors(
    privacy: PrivacySettings,
    *,
    llm_model_path: Path | None = None,
    model_output_failure: str = "closed",
) -> list[Detector]:
    names = list(dict.fromkeys(privacy.detectors + (["llm"] if privacy.llm else [])))
    return [
        create_detector(
            n,
            **detector_kwargs(
                n,
                privacy,
                llm_model_path=llm_model_path,
                model_output_failure=model_output_failure,
            ),
        )
        for n in names
    ]


def build_engine(
    privacy: PrivacySettings,
    *,
    llm_model_path: Path | None = None,
    model_output_failure: str = "closed",
    terms: bool = False,
) -> PrivacyEngine:
    """``model_output_failure`` (``pipeline.model_output_failure``): what the contextual
    detector does with an answer it cannot read twice (closed: refuse; best_effort: skip).
    ``terms``: also run the pipeline's rare-term pass (``privsplit redact`` does by default)."""
    return PrivacyEngine(
        detectors=build_detectors(
            privacy, llm_model_path=llm_model_path, model_output_failure=model_output_failure
        ),
        policy=load_policy(privacy),
        terms=create_detector("terms") if terms else None,
    )


def build_egress_guard(privacy: PrivacySettings) -> EgressGuard:
    """Every structured detector the engine runs (fast, and they do not depend on sentence
    context, so they hold on rewritten sub-queries), always including the pattern set, judged
    by the same policy (its ``min_score``, allow and deny lists); there is no separate guard
    threshold to drift from it."""
    names = ["patterns"] + [n for n in privacy.detectors if detector_class(n).structured]
    detectors = [create_detector(n, **detector_kwargs(n, privacy)) for n in dict.fromkeys(names)]
    return EgressGuard(detectors=detectors, policy=load_policy(privacy))


def resolve_llm_model(settings: EdgeSettings, privacy: PrivacySettings) -> Path:
    """The contextual detector's model: ``privacy.llm_model`` or the edge model; a registered
    name is resolved (and verified) by the model store, a ``.gguf`` path is used as is."""
    name = privacy.llm_model or settings.edge_model
    if name.endswith(".gguf"):
        return Path(name)
    return ModelStore(root=settings.models_dir).path(name)
