"""The edge pipeline: one module per stage and ``core``, the conductor that runs them.

A request goes prepare -> hide -> plan -> guard -> egress hooks -> answer locally | delegate
-> merge -> restore (``core.Pipeline.stream``). The stages: ``prepare`` (redact; summarize
documents), ``hide``, ``plan`` (``Plan`` and the planner), the guard step in ``core`` (the
egress guard of ``privacy.guard`` and the re-identification budget), ``delegate`` (answer
cache and cloud), ``merge``; restore is ``privacy.restore``. ``events`` holds the one event
type of a request and its result; ``parts`` what a pipeline holds.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privsplit.edge.pipeline.core import Pipeline
    from privsplit.edge.pipeline.events import AskResult, PipelineEvent
    from privsplit.edge.pipeline.plan import Plan
    from privsplit.edge.pipeline.redaction import Redactor
    from privsplit.edge.pipeline.settings import PipelineSettings
    from privsplit.edge.privacy.spans import Redaction

# imported on first use: the settings (``pipeline.settings``) load without the stages
_WHERE = {
    "AskResult": "privsplit.edge.pipeline.events",
    "Pipeline": "privsplit.edge.pipeline.core",
    "PipelineEvent": "privsplit.edge.pipeline.events",
    "Plan": "privsplit.edge.pipeline.plan",
    "PipelineSettings": "privsplit.edge.pipeline.settings",
    "Redaction": "privsplit.edge.privacy.spans",
    "Redactor": "privsplit.edge.pipeline.redaction",
}
__all__ = [
    "AskResult",
    "Pipeline",
    "PipelineEvent",
    "PipelineSettings",
    "Plan",
    "Redaction",
    "Redactor",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
