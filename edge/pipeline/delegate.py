"""Stage 3, delegate: guarded sub-queries go to the cloud concurrently, with bounded fan-out.

This is where the pipeline hands text to the cloud client, and the only place it does. The
delegator first asks its egress gate to ``release`` the batch (audit record written and
synced, approval when asked for; see ``privsplit.edge.egress``); each send then names that
release and may carry only its strings.

Each sub-query is one streamed ``Complete`` call (the client applies the deadline). At most
``max_parallel`` calls are in flight. The first failure cancels the others and is raised as
the typed error the client produced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from privsplit.edge.delegate import CloudClient
from privsplit.edge.egress import EgressGate, EgressHook, OutboundBatch, Release
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.shared.types import CompletionRequest, GenerationParams, Usage


@dataclass(frozen=True)
class CloudAnswer:
    query: str
    text: str
    usage: Usage


class Delegator:
    def __init__(
        self,
        *,
        cloud: CloudClient,
        gate: EgressGate,
        params: GenerationParams,
        model: str = "",
        max_parallel: int = 3,
        prompt_version: str = "v1",
    ) -> None:
        self.cloud = cloud
        self.gate = gate
        self.params = params
        self.model = model
        self.max_parallel = max_parallel
        self.prompt_version = prompt_version

    async def release(
        self,
        outbound: Sequence[str],
        *,
        request_id: str,
        conversation_id: str,
        decisions: Mapping[str, str],
        extra_hooks: Sequence[EgressHook] = (),
    ) -> Release:
        """The egress hooks over exactly ``outbound``; raises (nothing is sent) on refusal."""
        batch = OutboundBatch(
            request_id=request_id,
            conversation_id=conversation_id,
            destination=self.cloud.address,
            outbound=tuple(outbound),
            decisions=dict(decisions),
        )
        return await self.gate.release(batch, extra_hooks)

    def request(
        self, release: Release, query: str, *, params: GenerationParams | None = None
    ) -> CompletionRequest:
        release.check(self.gate, query)
        return CompletionRequest(
            messages=load_prompt("cloud_system", self.prompt_version).render(query=query),
            params=params or self.params,
            model=self.model,
        )

    async def stream_one(
        self, release: Release, query: str
    ) -> AsyncIterator[tuple[str, Usage | None]]:
        async for chunk in self.cloud.stream(self.request(release, query)):
            yield chunk.text, chunk.usage

    async def one(
        self, release: Release, query: str, *, params: GenerationParams | None = None
    ) -> CloudAnswer:
        text, usage = await self.cloud.complete(self.request(release, query, params=params))
        return CloudAnswer(query=query, text=text, usage=usage)

    async def all(self, release: Release, queries: Sequence[str]) -> list[CloudAnswer]:
        for query in queries:  # all or nothing: check every string before the first send
            release.check(self.gate, query)
        slots = asyncio.Semaphore(self.max_parallel)

        async def bounded(query: str) -> CloudAnswer:
            async with slots:
                return await self.one(release, query)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(bounded(q)) for q in queries]
        return [t.result() for t in tasks]
