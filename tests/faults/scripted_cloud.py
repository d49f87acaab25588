"""A fault-injecting stand-in for the cloud gateway: a real gRPC server in its own process.

Some cloud faults cannot be produced on demand by the real gateway (an empty stream, a stream
cut without its final chunk, bytes that are no protobuf, an answer that quotes placeholders of
another conversation, a reply slower than any deadline). This process speaks the real
``privsplit.v1.CloudInference`` wire protocol on loopback and does, for each ``Complete`` call,
what the JSON file ``--script`` says at that moment (the test rewrites it between calls):

``{"kind": "text", "chunks": ["a", "b"], "delay": 0.0}``  chunks, then the final chunk
``{"kind": "echo"}``        the user message back, then the final chunk
``{"kind": "empty"}``       no chunk at all, status OK
``{"kind": "truncated", "chunks": [...]}``  chunks, no final chunk, status OK
``{"kind": "sleep", "seconds": 30}``  nothing until the caller gives up
``{"kind": "garbage"}``     a message that is not a protobuf

Every call is logged as JSON lines on stdout: ``request_received`` (so a test counts what
reached the cloud), ``completion_done`` and ``call_cancelled`` (the caller went away).
The edge under test is the real daemon; only the cloud's misbehaviour is scripted.

    python -m tests.faults.scripted_cloud --script PATH [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import grpc

from privsplit.shared.proto import CLOUD_SERVICE_NAME, cloud, pb


def log(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def _chunk(text: str, *, final: bool = False) -> bytes:
    reply = cloud.CompleteResponse(text=text)
    if final:
        reply.finish_reason = pb.FINISH_REASON_STOP
        reply.usage.CopyFrom(pb.Usage(prompt_tokens=1, completion_tokens=1))
    return reply.SerializeToString()


def handlers(script: Path) -> grpc.GenericRpcHandler:
    async def complete(request: cloud.CompleteRequest, context: grpc.aio.ServicerContext):
        plan = json.loads(script.read_text())
        kind = plan.get("kind", "text")
        log("request_received", kind=kind, chars=sum(len(m.content) for m in request.messages))
        try:
            if kind == "sleep":
                await asyncio.sleep(float(plan.get("seconds", 30)))
            if kind == "garbage":
                yield b"\xff\xff\xff\x0fnot a protobuf"
                return
            if kind == "empty":
                return
            chunks = list(plan.get("chunks", ["ok"]))
            if kind == "echo":
                chunks = [request.messages[-1].content]
            for text in chunks:
                await asyncio.sleep(float(plan.get("delay", 0.0)))
                yield _chunk(text)
            if kind != "truncated":
                yield _chunk("", final=True)
                log("completion_done")
        except asyncio.CancelledError:
            log("call_cancelled", kind=kind)
            raise

    async def list_models(request: cloud.ListModelsRequest, context) -> bytes:
        return cloud.ListModelsResponse(
            models=[cloud.ModelInfo(name="scripted", backend="scripted", is_default=True)]
        ).SerializeToString()

    return grpc.method_handlers_generic_handler(
        CLOUD_SERVICE_NAME,
        {
            "Complete": grpc.unary_stream_rpc_method_handler(
                complete,
                request_deserializer=cloud.CompleteRequest.FromString,
                response_serializer=bytes,
            ),
            "ListModels": grpc.unary_unary_rpc_method_handler(
                list_models,
                request_deserializer=cloud.ListModelsRequest.FromString,
                response_serializer=bytes,
            ),
        },
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--script", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([handlers(args.script)])
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    await server.start()
    log("cloud_listening", port=port)
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(main())
