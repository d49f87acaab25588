"""What a pipeline holds: its parts (redactor, guard, cloud client, edge model, the documents'
reader model, egress gate, answer cache, re-identification budget) and their lifetime.

``core.Pipeline`` conducts a request over these parts; ``provider.build_pipeline`` builds
them from settings. With a cloud client there is an egress gate, and it needs an audit hook
(``UNAUDITED`` only on purpose). ``aclose`` ends what the pipeline owns: the cloud
connection, and the edge and reader models when ``owns_local`` (the provider built them).
The reader (``reader``, default: the edge model) reads attached documents; every other model
step runs on the edge model.
"""

from __future__ import annotations

from collections.abc import Sequence

from privsplit.edge.cache import AnswerCache
from privsplit.edge.cloud_client import CloudClient
from privsplit.edge.egress import EgressGate, EgressHook, Envelope
from privsplit.edge.pipeline import delegate
from privsplit.edge.pipeline.events import AskResult
from privsplit.edge.pipeline.redaction import RedactorLike
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.quasi import ReidBudget
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import ConfigError
from privsplit.shared.types import GenerationParams


class PipelineParts:
    def __init__(
        self,
        *,
        redactor: RedactorLike,
        guard: EgressGuard,
        cloud: CloudClient | None,
        local: LocalModel | None = None,
        reader: LocalModel | None = None,
        settings: PipelineSettings | None = None,
        params: GenerationParams | None = None,
        cloud_model: str = "",
        audit: EgressHook | None = None,
        egress_hooks: Sequence[EgressHook] = (),
        cache: AnswerCache | None = None,
        budget: ReidBudget | None = None,
        owns_local: bool = False,
    ) -> None:
        self.redactor = redactor
        self.guard = guard
        self.cloud = cloud
        self.local = local
        self.reader = reader
        self.settings = settings or PipelineSettings()
        self.params = params or GenerationParams()
        self.cloud_model = cloud_model
        self.gate = None if cloud is None else EgressGate(audit=audit, hooks=egress_hooks)
        self.cache = cache if cloud is not None else None
        self.budget = budget
        self.owns_local = owns_local

    @property
    def splits(self) -> bool:
        """Split mode with an edge model: it hides, plans and merges."""
        return self.settings.mode == "split" and self.local is not None

    @property
    def split_model(self) -> LocalModel | None:
        """The edge model when it hides, plans and merges (``splits``), else None."""
        return self.local if self.splits else None

    @property
    def reading_model(self) -> LocalModel | None:
        """The model that reads attached documents: ``reader``, else the edge model."""
        return self.reader if self.reader is not None else self.local

    @property
    def delegator(self) -> delegate.Delegator:
        if self.cloud is None or self.gate is None:
            raise ConfigError("this pipeline has no cloud client (built for dry runs only)")
        return delegate.Delegator(
            cloud=self.cloud,
            gate=self.gate,
            params=self.params,
            model=self.cloud_model,
            max_parallel=self.settings.max_parallel,
            prompt_version=self.settings.prompt_version,
            cache=self.cache,
        )

    async def aclose(self) -> None:
        """Close the cloud connection, and the edge model when this pipeline owns it."""
        if self.cloud is not None:
            await self.cloud.close()
        if self.owns_local:
            for model in (self.local, self.reader):
                if model is not None:
                    model.close()

    async def ask_raw(
        self,
        text: str,
        *,
        documents: Sequence[str] = (),
        request_id: str = "",
        conversation_id: str = "",
        extra_hooks: Sequence[EgressHook] = (),
        params: GenerationParams | None = None,
    ) -> AskResult:
        """NO PROTECTION: the text and documents as they are (see ``delegate.ask_raw``)."""
        envelope = Envelope.of(request_id, conversation_id, extra_hooks)
        return await delegate.ask_raw(self.delegator, text, documents, envelope, params=params)
