"""Builds the edge object graph from settings (constructor injection lives here only).

A pipeline that can send is audited by default: ``build_pipeline`` opens the egress audit log
of ``settings.daemon`` (the same directory the daemon writes) unless it is handed another
audit hook, and only an explicit ``audit=UNAUDITED`` builds one that sends without a record.
"""

from __future__ import annotations

from privsplit.edge.audit import AuditLog
from privsplit.edge.cache import AnswerCache, build_answer_cache
from privsplit.edge.cloud_client import CloudClient
from privsplit.edge.egress import EgressHook
from privsplit.edge.pipeline import Pipeline
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.policy import Policy
from privsplit.edge.privacy.quasi import ReidBudget
from privsplit.edge.runtime import LocalModel
from privsplit.edge.runtime.resolve import open_local_model
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.models import ModelStore
from privsplit.shared.types import GenerationParams


def build_redactor(settings: EdgeSettings) -> PrivacyEngine:
    """The privacy engine (detectors, policy) from ``settings.privacy``."""
    from privsplit.edge.privacy.detectors import term_policy
    from privsplit.edge.privacy.factory import build_engine, resolve_llm_model

    term_policy.configure(settings.pipeline.terms)  # the term pass's knobs (pipeline.terms)
    privacy = settings.privacy
    return build_engine(
        privacy,
        llm_model_path=resolve_llm_model(settings, privacy) if privacy.llm else None,
        model_output_failure=settings.pipeline.model_output_failure,
    )


def build_guard(settings: EdgeSettings) -> EgressGuard:
    from privsplit.edge.privacy.factory import build_egress_guard

    return build_egress_guard(settings.privacy)


def build_cloud_client(settings: EdgeSettings) -> CloudClient:
    return CloudClient.from_settings(settings.cloud)


def build_audit_log(settings: EdgeSettings) -> AuditLog:
    """The egress audit log (``daemon.audit_dir``), opened: ``AuditLogError`` when unusable."""
    d = settings.daemon
    return AuditLog(directory=d.audit_dir, fsync=d.audit_fsync).open()


def build_cache(settings: EdgeSettings) -> AnswerCache | None:
    """The private answer cache (``settings.cache``), or None when it is turned off."""
    if not settings.cache.enabled:
        return None
    return build_answer_cache(settings.cache, vault_key_file=settings.daemon.vault_key_file)


def build_pipeline(
    settings: EdgeSettings,
    *,
    cloud: CloudClient | None = None,
    local: LocalModel | None = None,
    offline: bool = False,
    audit: EgressHook | None = None,
) -> Pipeline:
    """The request pipeline. In ``pipeline.mode=split`` it gets the edge model (loaded lazily,
    on the first request that needs it); ``local`` injects an already built one; ``offline``
    builds no cloud client (dry runs: ``privsplit plan``). Every send is recorded by ``audit``,
    by default the hook of ``build_audit_log(settings)``; a pipeline that can send answers
    repeated requests from the answer cache unless ``cache.enabled`` is false. With a
    ``reader_model`` other than the edge model, that model reads the documents (opened, and
    closed by ``pipeline.aclose()``, like the edge model)."""
    if not offline and audit is None:
        audit = build_audit_log(settings).hook  # fails here, before any work, when unusable
    owns_local = local is None and settings.pipeline.mode == "split"
    if owns_local:
        # resolved (registered name, GGUF path or ONNX folder), verified, loaded on first use,
        # unloaded when idle (runtime.keep_alive_seconds); pipeline.aclose() closes it
        local = open_local_model(
            ref=settings.edge_model,
            settings=settings.runtime,
            store=ModelStore(root=settings.models_dir),
            seed=settings.pipeline.seed,
        )
    reader = None
    if owns_local and settings.reader_model not in ("", settings.edge_model):
        reader = open_local_model(  # the documents' reader, opened the same way
            ref=settings.reader_model,
            settings=settings.runtime,
            store=ModelStore(root=settings.models_dir),
            seed=settings.pipeline.seed,
        )
    redactor = build_redactor(settings)
    return Pipeline(
        redactor=redactor,
        guard=build_guard(settings),
        cloud=None if offline else (cloud or build_cloud_client(settings)),
        local=local,
        reader=reader,
        settings=settings.pipeline,
        params=GenerationParams(
            max_tokens=settings.max_tokens, temperature=0.0, seed=settings.pipeline.seed
        ),
        cloud_model=settings.cloud.model,
        audit=None if offline else audit,
        cache=None if offline else build_cache(settings),
        budget=build_reid_budget(redactor.policy),
        owns_local=owns_local,
    )


def build_reid_budget(policy: Policy) -> ReidBudget | None:
    """The conversation re-identification budget of ``policy`` (None when it sets none)."""
    if policy.reid_budget_bits is None:
        return None
    return ReidBudget(budget_bits=policy.reid_budget_bits, on_over=policy.reid_over_budget)
