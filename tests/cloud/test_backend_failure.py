"""A model backend that dies mid-stream: the client gets UNAVAILABLE, the gateway keeps
serving (health, other calls, and new streams once the backend is back)."""

from __future__ import annotations

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from privsplit.shared.proto import CloudInferenceStub, cloud
from tests.cloud.conftest import (
    LONG_ANSWER,
    bearer,
    collect,
    error_name,
    plain_settings,
    request,
    running,
    start_model_server,
)

pytestmark = pytest.mark.slow


async def test_backend_killed_mid_stream(test_model_path, tmp_path) -> None:
    backend = start_model_server(test_model_path, tmp_path / "llama.log")
    try:
        async with running(plain_settings(backend)) as gw:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{gw.port}") as channel:
                stub = CloudInferenceStub(channel)
                call = stub.Complete(
                    request(LONG_ANSWER, max_tokens=400),
                    metadata=bearer(),
                    timeout=60,
                )
                first = await call.read()
                assert first.text
                backend.kill()  # SIGKILL: the HTTP stream breaks without a final event
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    while True:
                        chunk = await call.read()
                        assert chunk is not grpc.aio.EOF, (
                            "stream ended normally after the backend died"
                        )
                assert err.value.code() == grpc.StatusCode.UNAVAILABLE
                assert error_name(err.value) == "BackendError"
                assert "connection lost" in err.value.details()

                # the gateway itself keeps serving
                health = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
                assert health.status == health_pb2.HealthCheckResponse.SERVING
                models = await stub.ListModels(
                    cloud.ListModelsRequest(), metadata=bearer(), timeout=5
                )
                assert models.models[0].name == "smol"
                started = time.monotonic()
                with pytest.raises(
                    grpc.aio.AioRpcError
                ) as down:  # backend still down: fast, typed refusal
                    await collect(stub, request(), metadata=bearer(), timeout=30)
                assert down.value.code() == grpc.StatusCode.UNAVAILABLE
                assert "unreachable" in down.value.details()
                assert time.monotonic() - started < 10

                # the backend comes back on the same port: the pooled client reconnects
                backend = start_model_server(
                    test_model_path, tmp_path / "llama.log", port=backend.port
                )
                chunks = await collect(stub, request(max_tokens=2), metadata=bearer(), timeout=60)
                assert chunks[-1].usage.completion_tokens >= 1
    finally:
        backend.kill()
