"""The in-process llama.cpp backend (SmolLM2) through the gateway: bounded queue, typed refusal."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from privsplit.cloud.server import start_server
from privsplit.cloud.settings import CloudSettings
from privsplit.shared.proto import CloudInferenceStub
from tests.cloud.conftest import LONG_ANSWER, collect, error_name, request

pytestmark = pytest.mark.slow


async def test_bounded_queue_refuses_with_resource_exhausted(test_model_path) -> None:
    settings = CloudSettings.load(
        None,
        insecure=True,
        port=0,
        backend="llamacpp",
        model=str(test_model_path),
        n_ctx=512,
        n_threads=1,
        instances=1,
        max_queue=1,
    )
    gw = await start_server(settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gw.port}") as channel:
            stub = CloudInferenceStub(channel)
            holder = stub.Complete(request(LONG_ANSWER, max_tokens=400), timeout=60)
            await holder.read()  # the only instance is busy
            waiter = asyncio.ensure_future(collect(stub, request(max_tokens=2), timeout=60))
            for _ in range(100):  # the second request is queued
                if gw.backend.queue_depth == 1:
                    break
                await asyncio.sleep(0.01)
            assert gw.backend.queue_depth == 1
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await collect(stub, request(max_tokens=2), timeout=60)
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert error_name(err.value) == "Busy"
            holder.cancel()  # frees the instance: the queued one runs
            chunks = await waiter
            assert chunks[-1].usage.completion_tokens >= 1 and chunks[-1].usage.prompt_tokens > 0
            assert gw.backend.queue_depth == 0
    finally:
        await gw.stop(0)


async def test_closing_mid_generation_stops_the_thread_before_freeing_the_model(
    test_model_path,
) -> None:
    """A gateway that stops while a stream is being generated (its handler abandoned, the
    generator never closed): the model must not be freed under the decoding thread (that
    crashed the process with a segmentation fault)."""
    import threading

    from privsplit.cloud.backends.llamacpp import LlamaCppBackend
    from privsplit.shared.types import CompletionRequest, GenerationParams, Message

    backend = LlamaCppBackend(
        model_path=test_model_path, model_name="smol", n_ctx=512, n_threads=1, instances=1
    )
    await backend.start()
    stream = backend.complete(
        CompletionRequest(
            messages=[Message(role="user", content=LONG_ANSWER)],
            params=GenerationParams(max_tokens=400),
        )
    )
    first = await anext(stream)  # generating now, in the backend's thread
    assert first.text
    await backend.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("llamacpp")]
    await stream.aclose()
