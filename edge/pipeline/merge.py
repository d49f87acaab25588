"""Stage merge: the edge model combines the cloud answers with the private context.

Merge runs on the device, so it reads the real request, the private condensed context and
the cloud answers with their placeholders restored; nothing it sees or writes is sent. With
``merge=auto`` a single sub-query without documents needs no local rewrite: its cloud answer
already is the answer, and restoring the placeholders merges the private values back.
When the documents answer some parts of the question and have nothing for the others, the
cloud was asked only the others (``Plan.by_parts``) and each part has its own answer:
``PartsMerger`` writes the device's answer to the documents' parts (one short local answer,
while the cloud works) and puts the cloud's after it, with no merge call.
``compose`` is the step: merged by a ``Merger``, or the answers joined. Route ``local`` is
answered here too (``Merger.answer_locally``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from privsplit.edge.pipeline.delegate import CloudAnswer
from privsplit.edge.pipeline.local import astream, fit_to_context, local_params
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.retrieve import some_parts
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.runtime import LocalModel


def needs_model(settings: PipelineSettings, *, subqueries: int, has_context: bool) -> bool:
    if settings.merge == "auto":
        return subqueries > 1 or has_context
    return settings.merge == "model"


class Merger:
    def __init__(self, *, model: LocalModel, settings: PipelineSettings) -> None:
        self.model = model
        self.settings = settings

    def _budget(self, reserved: int) -> int:
        return max(64, self.model.context_length - reserved)

    async def merge(
        self, question: str, context: str, answers: Sequence[CloudAnswer]
    ) -> AsyncIterator[str]:
        """The final answer. With a private context, the edge model first answers from the
        context alone (a draft): a small model given generic expert notes next to the
        document's facts tends to repeat the notes, and the draft keeps the facts in front."""
        s = self.settings
        budget = self._budget(s.merge_max_tokens + s.local_max_tokens + 256)
        draft = ""
        if context.strip():
            draft = "".join(
                [piece async for piece in self.answer_locally(question, context)]
            ).strip()
        joined = "\n\n".join(
            f"Question {i}: {a.query}\nAnswer {i}: {a.text.strip()}"
            for i, a in enumerate(answers, 1)
        )
        messages = load_prompt("merge", s.prompt_version).render(
            question=fit_to_context(self.model, question, budget // 4),
            context=fit_to_context(self.model, context, budget // 4) or "(none)",
            draft=fit_to_context(self.model, draft, budget // 8) or "(none)",
            answers=fit_to_context(self.model, joined, budget // 4),
        )
        async for piece in astream(self.model, messages, local_params(s.merge_max_tokens, s.seed)):
            yield piece

    async def answer_locally(self, question: str, context: str) -> AsyncIterator[str]:
        """Route ``local``: the edge model answers alone; nothing is sent."""
        s = self.settings
        budget = self._budget(s.local_max_tokens + 256)
        messages = load_prompt("local_answer", s.prompt_version).render(
            question=fit_to_context(self.model, question, budget // 2),
            context=fit_to_context(self.model, context, budget // 3) or "(none)",
        )
        async for piece in astream(self.model, messages, local_params(s.local_max_tokens, s.seed)):
            yield piece


class PartsMerger(Merger):
    """``merge`` without a merge call, for a question split by parts (``Plan.by_parts``): the
    edge model answers the parts the documents answer (``answered``, indexes into
    ``parts_of``) from the private context, and the cloud's answer follows as it is. The
    device's answer needs nothing from the cloud: ``early`` starts it while the cloud works."""

    def __init__(
        self, *, model: LocalModel, settings: PipelineSettings, answered: Sequence[int]
    ) -> None:
        super().__init__(model=model, settings=settings)
        self.answered = tuple(answered)
        self._early: asyncio.Task[str] | None = None

    def early(self, question: str, context: str) -> asyncio.Task[str]:
        """The device's answer, started now (in the running event loop); ``merge`` uses it.
        Cancel the task when the request fails before ``merge``."""
        self._early = asyncio.ensure_future(self._local(question, context))
        return self._early

    async def _local(self, question: str, context: str) -> str:
        return "".join([piece async for piece in self._answer_parts(question, context)])

    async def _answer_parts(self, question: str, context: str) -> AsyncIterator[str]:
        s = self.settings
        budget = self._budget(s.local_max_tokens + 256)
        messages = load_prompt("local_parts", s.prompt_version).render(
            question=fit_to_context(self.model, question, budget // 4),
            part=fit_to_context(self.model, some_parts(question, self.answered), budget // 4),
            context=fit_to_context(self.model, context, budget // 3) or "(none)",
        )
        async for piece in astream(self.model, messages, local_params(s.local_max_tokens, s.seed)):
            yield piece

    async def merge(
        self, question: str, context: str, answers: Sequence[CloudAnswer]
    ) -> AsyncIterator[str]:
        if self._early is not None:
            yield await self._early
        else:
            async for piece in self._answer_parts(question, context):
                yield piece
        yield "\n\n" + "\n\n".join(a.text.strip() for a in answers)


async def compose(
    question: str,
    private_context: str,
    answers: Sequence[CloudAnswer],
    vault: Vault,
    *,
    merger: Merger | None,
) -> AsyncIterator[str]:
    """The answer text from the sub-queries' answers, in placeholder form: written by the
    ``merger`` (the edge model) when there is one, else the answers joined."""
    if merger is None:
        yield "\n\n".join(a.text for a in answers)
        return
    # merge runs on the device: it reads the real request and context, and the cloud
    # answers with their placeholders restored
    restored = [
        CloudAnswer(vault.restore(a.query), vault.restore(a.text), a.usage) for a in answers
    ]
    async for piece in merger.merge(question, private_context, restored):
        yield piece
