"""Stage delegate: guarded sub-queries are answered from the answer cache or by the cloud,
concurrently, with bounded fan-out.

This is where the pipeline hands text to the cloud client, and the only place it does. The
delegator first asks its egress gate to ``release`` the batch (audit record written and
synced, approval when asked for; see ``privsplit.edge.egress``); each send then names that
release and may carry only its strings.

Each sub-query is one streamed ``Complete`` call (the client applies the deadline). At most
``max_parallel`` calls are in flight. The first failure cancels the others and is raised as
the typed error the client produced.

Sub-queries come in placeholder form. With ``stand_ins`` (``privacy.standins``) each is sent
with its made-up names, and the answer comes back in placeholder form, also when it streams
(a made-up name split across chunks is held back until it is whole): the device never reads a
stand-in after this module.

With an answer cache (``privsplit.edge.cache``), ``cached`` answers a request whose every
sub-query is in it (nothing is sent), and ``remember`` keeps the cloud's sanitized answers in
placeholder form, keyed by the placeholder form; a cache that cannot be read or written never
fails a request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from privsplit.edge.cache import AnswerCache, CacheScope
from privsplit.edge.cloud_client import CloudClient
from privsplit.edge.egress import UNPROTECTED, EgressGate, Envelope, OutboundBatch, Release
from privsplit.edge.pipeline.events import AskResult, Tally
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.privacy.standins import StandIns
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.logging import get_logger
from privsplit.shared.types import CompletionRequest, GenerationParams, Usage

log = get_logger(__name__)
PLAIN = StandIns()  # no stand-ins: placeholders go as they are


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
        cache: AnswerCache | None = None,
    ) -> None:
        self.cloud = cloud
        self.gate = gate
        self.params = params
        self.model = model
        self.max_parallel = max_parallel
        self.prompt_version = prompt_version
        self.cache = cache

    # -- the answer cache ------------------------------------------------------------------
    def scope(self, params: GenerationParams | None = None) -> CacheScope:
        """What besides a sub-query changes the cloud's answer (part of every cache key): the
        destination, model, prompt and the request's sampling (``params``, else the
        pipeline's)."""
        system, _ = load_prompt("cloud_system", self.prompt_version).render(query="")
        return CacheScope(
            destination=self.cloud.address,
            model=self.model,
            prompt=f"{self.prompt_version}:{system.content}",
            params=params or self.params,
        )

    async def cached(
        self, queries: Sequence[str], tally: Tally, params: GenerationParams | None = None
    ) -> list[CloudAnswer] | None:
        """Answers to every guarded sub-query from the cache, or None (a miss, or no cache);
        ``tally`` says which (route ``cache`` on a hit)."""
        if self.cache is None:
            return None
        tally.cache = "miss"
        try:
            found = await asyncio.to_thread(self.cache.look_up, queries, self.scope(params))
        except OSError as exc:  # an unreadable cache is a miss, never a failed request
            log.warning("cache_read_failed", error=type(exc).__name__)
            return None
        if found is None:
            return None
        tally.route, tally.cache = "cache", "hit"
        return [CloudAnswer(a.query, a.text, a.usage) for a in found]

    async def holds(self, queries: Sequence[str]) -> bool:
        """Whether the answer cache holds the answer to every one of ``queries`` (a look-up;
        no tally is changed)."""
        return await self.cached(queries, Tally(route="cloud")) is not None

    async def remember(
        self, answers: Sequence[CloudAnswer], vault: Vault, params: GenerationParams | None = None
    ) -> None:
        """Keep the cloud's sanitized answers; a cache that cannot write never fails a request."""
        if self.cache is None:
            return
        try:
            await asyncio.to_thread(self.cache.remember, answers, self.scope(params), vault)
        except OSError as exc:
            log.warning("cache_store_failed", error=type(exc).__name__)

    # -- sending ---------------------------------------------------------------------------
    async def release(
        self, outbound: Sequence[str], envelope: Envelope, decisions: Mapping[str, str]
    ) -> Release:
        """The egress hooks over exactly ``outbound``; raises (nothing is sent) on refusal."""
        batch = OutboundBatch(
            request_id=envelope.request_id,
            conversation_id=envelope.conversation_id,
            destination=self.cloud.address,
            outbound=tuple(outbound),
            decisions=dict(decisions),
        )
        return await self.gate.release(batch, envelope.hooks)

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
        self,
        release: Release,
        query: str,
        tally: Tally,
        vault: Vault,
        *,
        params: GenerationParams | None = None,
        stand_ins: StandIns = PLAIN,
    ) -> AsyncIterator[str]:
        """The answer to one sub-query as it streams; its usage and wait go to ``tally`` and
        the whole answer to the cache."""
        started, received, decoder = time.perf_counter(), [], stand_ins.decoder()
        sent = self.request(release, stand_ins.encode(query), params=params)
        async for chunk in self.cloud.stream(sent):
            tally.usage = chunk.usage or tally.usage
            if piece := decoder.feed(chunk.text):
                received.append(piece)
                yield piece
        if tail := decoder.flush():
            received.append(tail)
            yield tail
        tally.cloud_seconds += time.perf_counter() - started
        await self.remember([CloudAnswer(query, "".join(received), tally.usage)], vault, params)

    async def one(
        self,
        release: Release,
        query: str,
        *,
        params: GenerationParams | None = None,
        stand_ins: StandIns = PLAIN,
    ) -> CloudAnswer:
        sent = self.request(release, stand_ins.encode(query), params=params)
        text, usage = await self.cloud.complete(sent)
        return CloudAnswer(query=query, text=stand_ins.decode(text), usage=usage)

    async def all(
        self,
        release: Release,
        queries: Sequence[str],
        tally: Tally | None = None,
        vault: Vault | None = None,
        *,
        params: GenerationParams | None = None,
        stand_ins: StandIns = PLAIN,
    ) -> list[CloudAnswer]:
        """Every sub-query's answer (at most ``max_parallel`` in flight); with a ``tally``
        their usage and the wait are added to it, and with a ``vault`` they are cached."""
        for query in queries:  # all or nothing: check every string before the first send
            release.check(self.gate, stand_ins.encode(query))
        slots = asyncio.Semaphore(self.max_parallel)
        started = time.perf_counter()

        async def bounded(query: str) -> CloudAnswer:
            async with slots:
                return await self.one(release, query, params=params, stand_ins=stand_ins)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(bounded(q)) for q in queries]
        answers = [t.result() for t in tasks]
        if tally is not None:
            tally.cloud_seconds += time.perf_counter() - started
            for answer in answers:
                tally.usage = tally.usage + answer.usage
        if vault is not None:
            await self.remember(answers, vault, params)
        return answers


async def ask_raw(
    delegator: Delegator,
    text: str,
    documents: Sequence[str],
    envelope: Envelope,
    *,
    params: GenerationParams | None = None,
) -> AskResult:
    """NO PROTECTION: the request and documents go to the cloud as they are (the baseline of
    the benchmark and of ``privsplit ask --raw``). It passes the same egress hooks, and its
    audit record says ``protection: none``."""
    started = time.perf_counter()
    query = "\n\n".join([text, *documents])
    decisions = {"route": "raw", "protection": UNPROTECTED}
    release = await delegator.release([query], envelope, decisions)
    answer = await delegator.one(release, query, params=params)
    total = time.perf_counter() - started
    log.warning("answered_raw", prompt_tokens=answer.usage.prompt_tokens, seconds=round(total, 3))
    return AskResult(
        answer=answer.text,
        route="raw",
        outbound=[query],
        cloud_usage=answer.usage,
        seconds_total=total,
        seconds_edge=0.0,
    )
