"""Stage 3, delegate: guarded sub-queries go to the cloud concurrently, with bounded fan-out.

Each sub-query is one streamed ``Complete`` call (the client applies the deadline). At most
``max_parallel`` calls are in flight. The first failure cancels the others and is raised as
the typed error the client produced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from privsplit.edge.delegate import CloudClient
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
        params: GenerationParams,
        model: str = "",
        max_parallel: int = 3,
        prompt_version: str = "v1",
    ) -> None:
        self.cloud = cloud
        self.params = params
        self.model = model
        self.max_parallel = max_parallel
        self.prompt_version = prompt_version

    def request(self, query: str, *, params: GenerationParams | None = None) -> CompletionRequest:
        return CompletionRequest(
            messages=load_prompt("cloud_system", self.prompt_version).render(query=query),
            params=params or self.params,
            model=self.model,
        )

    async def stream_one(self, query: str) -> AsyncIterator[tuple[str, Usage | None]]:
        async for chunk in self.cloud.stream(self.request(query)):
            yield chunk.text, chunk.usage

    async def one(self, query: str, *, params: GenerationParams | None = None) -> CloudAnswer:
        text, usage = await self.cloud.complete(self.request(query, params=params))
        return CloudAnswer(query=query, text=text, usage=usage)

    async def all(self, queries: Sequence[str]) -> list[CloudAnswer]:
        gate = asyncio.Semaphore(self.max_parallel)

        async def bounded(query: str) -> CloudAnswer:
            async with gate:
                return await self.one(query)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(bounded(q)) for q in queries]
        return [t.result() for t in tasks]
