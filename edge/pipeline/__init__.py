"""The edge pipeline: one module per stage (summarize, plan, delegate, merge) and ``core``,
which runs them for a request."""

from privsplit.edge.pipeline.core import AskResult, Pipeline, PipelineEvent, Plan
from privsplit.edge.pipeline.redaction import BufferedRestorer, Redaction, Redactor
from privsplit.edge.pipeline.settings import PipelineSettings

__all__ = [
    "AskResult",
    "BufferedRestorer",
    "Pipeline",
    "PipelineEvent",
    "Plan",
    "PipelineSettings",
    "Redaction",
    "Redactor",
]
