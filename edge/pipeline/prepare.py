"""Stage prepare: validate the request, redact it, and condense its documents on the device.

The request is redacted into the conversation's vault; attached documents are condensed by
the edge model (``summarize``) and the condensed context is redacted too. The result is the
request's ``Plan`` (route cloud until the policy says otherwise); the raw condensed context
stays in ``Plan.private_context`` and never leaves the device, as does the result the
question asks for when the device computed it (``Plan.device_answer``).
"""

from __future__ import annotations

from collections.abc import Sequence

from privsplit.edge.pipeline.plan import Plan
from privsplit.edge.pipeline.redaction import RedactorLike
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.pipeline.summarize import Progress, Summarizer
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import InvalidRequest


def prepare(
    redactor: RedactorLike,
    model: LocalModel | None,
    settings: PipelineSettings,
    text: str,
    vault: Vault,
    documents: Sequence[str] = (),
    progress: Progress | None = None,
) -> Plan:
    """The plan of ``text`` (with ``documents`` condensed by the edge ``model``);
    ``InvalidRequest`` for an empty text, documents that are not a list, or documents
    without an edge model."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("the request text is empty")
    if isinstance(documents, str):
        raise InvalidRequest("documents must be a list of strings")
    request = redactor.redact(text, vault)
    private_context, device_answer, answered_parts = "", "", ()
    if documents:
        if model is None:
            raise InvalidRequest("documents need the edge model (pipeline.mode=split)")
        summarizer = Summarizer(model=model, settings=settings)
        private_context = summarizer.summarize(text, documents, progress=progress)
        device_answer = summarizer.answer
        stats = summarizer.stats
        if stats.beyond:  # some parts answered, the rest beyond the documents
            answered_parts = tuple(k not in stats.beyond for k in range(stats.parts))
    context = redactor.redact(private_context, vault)
    return Plan.prepared(
        request,
        context,
        private_context,
        settings.model_output_failure,
        device_answer,
        answered_parts,
    )
