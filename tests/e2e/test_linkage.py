"""Linkage across conversations, played from the cloud's side (issue 16, item 4).

A recording gRPC proxy stands where the cloud's front door would be: it keeps every call's
metadata, the peer (the TCP connection), and the request bytes, and forwards the call to a
real ``privsplit cloud serve`` (SmolLM2) on loopback. Two conversations of the same user go
through one edge (the same pipeline, cache on, a re-identification budget), and a third
conversation comes from another edge. The cloud may learn what the texts say; nothing else
it receives may tie the two conversations together: not a header, not a request field, not
the placeholder numbering or the budget's state carried over from the first conversation,
not the connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import grpc
import pytest

from privsplit.edge.privacy.vault import PLACEHOLDER_RE, Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.proto import cloud

pytestmark = pytest.mark.slow


@dataclass
class Call:
    method: str
    metadata: tuple[tuple[str, str], ...]
    peer: str
    request: bytes


@dataclass
class Recorder(grpc.GenericRpcHandler):
    """Records and forwards every call (raw bytes: it plays a cloud that keeps everything)."""

    upstream: grpc.aio.Channel
    calls: list[Call] = field(default_factory=list)

    def service(self, details: grpc.HandlerCallDetails):
        method = details.method
        metadata = tuple((k, v) for k, v in details.invocation_metadata or () if isinstance(v, str))

        async def stream(request: bytes, context: grpc.aio.ServicerContext):
            self.calls.append(Call(method, metadata, context.peer(), request))
            forward = self.upstream.unary_stream(method)
            async for chunk in forward(
                request, metadata=[m for m in metadata if m[0] != "user-agent"]
            ):
                yield chunk

        return grpc.unary_stream_rpc_method_handler(stream)


async def _recording_proxy(target: str) -> tuple[grpc.aio.Server, Recorder, str]:
    recorder = Recorder(upstream=grpc.aio.insecure_channel(target))
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((recorder,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, recorder, f"127.0.0.1:{port}"


def _pipeline(address: str, tmp_path, name: str):
    settings = EdgeSettings.load(
        cloud_address=address,
        cloud_insecure=True,
        max_tokens=8,
        pipeline={"mode": "redact"},
        cache={"enabled": True, "directory": str(tmp_path / name / "cache")},
    )
    return build_pipeline(settings)


CONVERSATION_A = [
    "My name is Maria Gonzalez and I live in Leeds. What should I pack for a hike?",
    "I'm 37 and I work as a nurse. Any stretching tips?",
]
CONVERSATION_B = [  # the same user, another day: the same name, one question repeated
    "Maria Gonzalez again. I'm 37 and I work as a nurse. Any stretching tips?",
    "I'm 37 and I work as a nurse. Any stretching tips?",
]


async def test_the_cloud_cannot_link_two_conversations_of_one_user(cloud_server, tmp_path) -> None:
    server, recorder, address = await _recording_proxy(cloud_server.address)
    try:
        edge = _pipeline(address, tmp_path, "edge")
        other_edge = _pipeline(address, tmp_path, "other")
        sent: dict[str, list[int]] = {"A": [], "B": [], "C": []}
        routes: dict[str, list[str]] = {"A": [], "B": [], "C": []}
        plan = [
            ("A", edge, CONVERSATION_A),
            ("B", edge, CONVERSATION_B),
            ("C", other_edge, CONVERSATION_B),
        ]
        for name, pipeline, turns in plan:
            vault = Vault()  # one vault per conversation, as the daemon keeps them
            for i, turn in enumerate(turns):
                before = len(recorder.calls)
                result = await pipeline.ask(
                    turn, vault=vault, conversation_id=f"conv-{name}", request_id=f"{name}-{i}"
                )
                sent[name] += range(before, len(recorder.calls))
                routes[name].append(result.route)
        for pipeline in (edge, other_edge):
            await pipeline.cloud.close()
    finally:
        await server.stop(None)

    calls = recorder.calls
    assert sent["A"] and sent["B"] and sent["C"]
    requests = [cloud.CompleteRequest.FromString(c.request) for c in calls]
    # 1. Headers: the same on every call of every conversation and of the other edge, so none
    #    carries a user, device, conversation or request id (the request ids above stay local).
    assert len({c.metadata for c in calls}) == 1, {c.metadata for c in calls}
    assert not any(
        "conv-" in v or re.fullmatch(r"[A-C]-\d", v) for c in calls for _, v in c.metadata
    )
    # 2. Request fields besides the user's text: identical (model, settings, system prompt).
    frame = {
        (r.model, r.params.SerializeToString(deterministic=True), r.messages[0].content)
        for r in requests
    }
    assert len(frame) == 1
    # 3. The text the cloud got in B is exactly what a fresh conversation (C, another edge)
    #    sends: the placeholder numbering, the budget's spend and the cache of conversation A
    #    changed nothing in it. B's repeated question is answered from the edge's cache: it
    #    sends nothing at all (C, with an empty cache, sends it).
    assert routes["B"] == ["cloud", "cache"] and routes["C"] == ["cloud", "cloud"]
    b_texts = [requests[i].messages[-1].content for i in sent["B"]]
    c_texts = [requests[i].messages[-1].content for i in sent["C"]]
    assert b_texts == c_texts[:1]
    assert all(p.group(2) == "1" for t in b_texts for p in PLACEHOLDER_RE.finditer(t))
    # 4. The connection: no TCP connection carries calls of both conversations.
    peers = {name: {calls[i].peer for i in idx} for name, idx in sent.items()}
    assert not peers["A"] & peers["B"], peers
    assert not peers["B"] & peers["C"], peers
    assert len({c.peer for c in calls}) == len(calls)  # a connection per call, within one too
