"""Each limit refuses with its precise status and a message that never echoes the prompt:
rate, concurrent streams, request size (two tiers), sub-query count, max_tokens, deadline,
malformed bodies. Metrics count refusals by code."""

from __future__ import annotations

import asyncio
import time
import urllib.request

import grpc
import pytest

from privsplit.shared.proto import CloudInferenceStub, cloud, pb
from tests.cloud.conftest import (
    LONG_ANSWER,
    bearer,
    collect,
    error_name,
    plain_settings,
    request,
    running,
    tenants,
)

pytestmark = pytest.mark.slow
SECRET = "quasar-mango-7781"


def _stub(port: int) -> tuple[grpc.aio.Channel, CloudInferenceStub]:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return channel, CloudInferenceStub(channel)


async def _refusal(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert SECRET not in (err.value.details() or "")
    return err.value


async def test_rate_limit_per_tenant(model_server) -> None:
    settings = plain_settings(
        model_server, tenants=tenants(rate_per_second=0.01, burst=2), metrics_port=0
    )
    async with running(settings) as gw:
        channel, stub = _stub(gw.port)
        async with channel:
            for _ in range(2):
                await stub.ListModels(cloud.ListModelsRequest(), metadata=bearer(), timeout=5)
            err = await _refusal(
                stub.ListModels(cloud.ListModelsRequest(), metadata=bearer(), timeout=5)
            )
            assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "rate limit" in err.details() and "'acme'" in err.details()
        body = (
            urllib.request.urlopen(f"http://127.0.0.1:{gw.metrics_port}/metrics", timeout=5)
            .read()
            .decode()
        )
    series = "privsplit_cloud_requests_total"
    assert f'{series}{{code="RESOURCE_EXHAUSTED",method="ListModels",tenant="acme"}} 1.0' in body
    assert f'{series}{{code="OK",method="ListModels",tenant="acme"}} 2.0' in body


async def test_concurrent_stream_limit_and_slot_release(model_server) -> None:
    async with running(plain_settings(model_server, tenants=tenants(max_streams=1))) as gw:
        channel, stub = _stub(gw.port)
        async with channel:
            first = stub.Complete(
                request(LONG_ANSWER, max_tokens=400), metadata=bearer(), timeout=60
            )
            await first.read()  # the first stream is open and generating
            err = await _refusal(collect(stub, request(SECRET), metadata=bearer(), timeout=10))
            assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "1 open streams" in err.details()
            first.cancel()
            await asyncio.sleep(0.2)
            chunks = await collect(stub, request(max_tokens=1), metadata=bearer(), timeout=60)
            assert chunks[-1].finish_reason != pb.FINISH_REASON_UNSPECIFIED


async def test_request_size_limits(model_server) -> None:
    async with running(plain_settings(model_server, max_request_bytes=4096)) as gw:
        channel, stub = _stub(gw.port)
        async with channel:
            # just over the limit: parsed, refused by the service, naming the limit
            err = await _refusal(
                collect(stub, request(SECRET + "x" * 5000), metadata=bearer(), timeout=10)
            )
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "larger than 4096 bytes" in err.details()
            # far over: refused by gRPC before anything parses it
            err = await _refusal(
                collect(stub, request(SECRET + "x" * 200_000), metadata=bearer(), timeout=10)
            )
            assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: cloud.CompleteRequest(), "no messages"),
        (
            lambda: cloud.CompleteRequest(messages=[pb.ChatMessage(content=SECRET)]),
            "role is not set",
        ),
        (lambda: request(SECRET, max_tokens=100_000), "max_tokens exceeds"),
        (lambda: request(SECRET, model="gpt-unknown"), "unknown model"),
        (
            lambda: cloud.CompleteRequest(
                messages=[pb.ChatMessage(role=pb.ROLE_USER, content=SECRET)],
                params=pb.GenerationParams(temperature=-1),
            ),
            "temperature must be in",
        ),
    ],
)
async def test_invalid_requests(model_server, make, message) -> None:
    async with running(plain_settings(model_server)) as gw:
        channel, stub = _stub(gw.port)
        async with channel:
            err = await _refusal(collect(stub, make(), metadata=bearer(), timeout=10))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in err.details()


async def test_malformed_body_is_invalid_argument(model_server) -> None:
    async with running(plain_settings(model_server)) as gw:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gw.port}") as channel:
            raw = channel.unary_stream(
                "/privsplit.v1.CloudInference/Complete",
                request_serializer=lambda b: b,
                response_deserializer=lambda b: b,
            )
            err = await _refusal(
                collect_raw(raw(b"\x12\xff\xff\xff\x0f" + SECRET.encode(), metadata=bearer()))
            )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid protobuf message" in err.details()


async def collect_raw(call) -> list:
    return [x async for x in call]


async def test_the_removed_batch_method_is_unimplemented(model_server) -> None:
    """CompleteBatch is gone (the edge fans out one Complete per sub-query, each under the
    tenant's stream and rate limits): an old client's batch is refused, and nothing runs."""
    async with running(plain_settings(model_server)) as gw:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gw.port}") as channel:
            raw = channel.unary_stream(
                "/privsplit.v1.CloudInference/CompleteBatch",
                request_serializer=lambda b: b,
                response_deserializer=lambda b: b,
            )
            err = await _refusal(collect_raw(raw(b"", metadata=bearer(), timeout=10)))
    assert err.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_deadline_is_enforced_by_the_gateway(model_server) -> None:
    # the client sets no deadline; the gateway caps it and stops the backend stream
    settings = plain_settings(model_server, default_deadline_seconds=0.3, max_deadline_seconds=0.3)
    async with running(settings) as gw:
        channel, stub = _stub(gw.port)
        async with channel:
            started = time.monotonic()
            err = await _refusal(
                collect(stub, request("Write a long story.", max_tokens=1000), metadata=bearer())
            )
            assert time.monotonic() - started < 10
    assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert (
        error_name(err) == "DeadlineExceeded"
    )  # raised by the gateway, not the client's own timer
