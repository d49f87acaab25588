"""The edge pipeline: one module per stage and ``core``, the conductor that runs them.

A request goes prepare -> hide -> plan -> guard -> egress hooks -> answer locally | delegate
-> merge -> restore (``core.Pipeline.stream``). The stages: ``prepare`` (redact; summarize
documents), ``hide``, ``plan`` (``Plan`` and the planner), the guard step in ``core`` (the
egress guard of ``privacy.guard`` and the re-identification budget), ``delegate`` (answer
cache and cloud), ``merge``; restore is ``privacy.restore``. ``events`` holds the one event
type of a request and its result; ``parts`` what a pipeline holds.
"""

from privsplit.edge.pipeline.core import Pipeline
from privsplit.edge.pipeline.events import AskResult, PipelineEvent
from privsplit.edge.pipeline.plan import Plan
from privsplit.edge.pipeline.redaction import Redactor
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.spans import Redaction

__all__ = [
    "AskResult",
    "Pipeline",
    "PipelineEvent",
    "Plan",
    "PipelineSettings",
    "Redaction",
    "Redactor",
]
