"""A CloudInference server that answers at once (benchmarks only).

The daemon benchmarks measure what the daemon adds around the pipeline, not model
generation; this stand-in for the cloud returns a fixed short answer immediately, over real
gRPC on loopback, so generation time (and its noise) is out of the measurement. It echoes
the first placeholder it sees so the restore step has work to do.
"""

from __future__ import annotations

import asyncio
import threading

import grpc

from privsplit.edge.privacy.vault import PLACEHOLDER_RE
from privsplit.shared.proto import (
    CloudInferenceServicer,
    add_CloudInferenceServicer_to_server,
    cloud,
    pb,
)


class FastCloud(CloudInferenceServicer):
    def __init__(self) -> None:
        self.calls = 0

    def _answer(self, request) -> cloud.CompleteResponse:
        self.calls += 1
        text = request.messages[-1].content if request.messages else ""
        found = PLACEHOLDER_RE.search(text)
        reply = f"Done for {found.group(0) if found else 'you'}."
        return cloud.CompleteResponse(
            text=reply,
            finish_reason=pb.FINISH_REASON_STOP,
            usage=pb.Usage(prompt_tokens=len(text) // 4, completion_tokens=4),
        )

    async def Complete(self, request, context):
        yield self._answer(request)

    async def ListModels(self, request, context):
        return cloud.ListModelsResponse(models=[cloud.ModelInfo(name="fast", backend="fast")])


def start_fast_cloud() -> tuple[str, FastCloud, callable]:
    """Serve on 127.0.0.1 (ephemeral port) from a background thread; returns (address, servicer, stop)."""
    servicer = FastCloud()
    ready = threading.Event()
    state: dict = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        state["loop"] = loop

        async def main() -> None:
            server = grpc.aio.server()
            add_CloudInferenceServicer_to_server(servicer, server)
            state["port"] = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            state["server"] = server
            ready.set()
            await server.wait_for_termination()

        loop.run_until_complete(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)

    def stop() -> None:
        try:
            asyncio.run_coroutine_threadsafe(state["server"].stop(0), state["loop"]).result(10)
        except TimeoutError:  # the thread is a daemon thread: it ends with the process
            pass

    return f"127.0.0.1:{state['port']}", servicer, stop
