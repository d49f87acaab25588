"""The edge's gRPC client of the cloud gateway.

This is the only network client on the edge; it connects to exactly the configured cloud
address and nowhere else. Connection failures become ``CloudUnavailable``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import grpc

from privsplit.shared.errors import CloudUnavailable, ConfigError, PrivsplitError, from_rpc_error
from privsplit.shared.proto import CloudInferenceStub, cloud
from privsplit.shared.types import Chunk, CompletionRequest, Usage


def _host(address: str) -> str:
    host = address.rsplit(":", 1)[0] if ":" in address else address
    return host.strip("[]")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CloudClient:
    def __init__(self, *, address: str, insecure: bool = False, deadline_seconds: float = 120.0,
                 credentials: grpc.ChannelCredentials | None = None,
                 call_credentials: grpc.CallCredentials | None = None) -> None:
        if insecure and not _is_loopback(_host(address)):
            raise ConfigError("a plain-text cloud connection is only allowed to a loopback address")
        if not insecure and credentials is None:
            raise ConfigError("TLS credentials are required for a non-loopback cloud connection")
        self.address = address
        self.deadline_seconds = deadline_seconds
        self._insecure = insecure
        self._credentials = credentials
        self._call_credentials = call_credentials
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> CloudInferenceStub:
        if self._channel is None:
            options = [("grpc.enable_retries", 0)]
            if self._insecure:
                self._channel = grpc.aio.insecure_channel(self.address, options=options)
            else:
                creds = self._credentials
                if self._call_credentials is not None:
                    creds = grpc.composite_channel_credentials(creds, self._call_credentials)
                self._channel = grpc.aio.secure_channel(self.address, creds, options=options)
        return CloudInferenceStub(self._channel)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def __aenter__(self) -> "CloudClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def stream(self, request: CompletionRequest) -> AsyncIterator[Chunk]:
        try:
            call = self._stub().Complete(request.to_pb(), timeout=self.deadline_seconds,
                                         wait_for_ready=False)
            async for response in call:
                yield Chunk.from_pb(response)
        except grpc.aio.AioRpcError as err:
            raise _map(err, self.address) from None

    async def complete(self, request: CompletionRequest) -> tuple[str, Usage]:
        parts: list[str] = []
        usage = Usage()
        async for chunk in self.stream(request):
            parts.append(chunk.text)
            if chunk.usage is not None:
                usage = chunk.usage
        return "".join(parts), usage

    async def list_models(self) -> list[str]:
        try:
            reply = await self._stub().ListModels(cloud.ListModelsRequest(), timeout=self.deadline_seconds)
        except grpc.aio.AioRpcError as err:
            raise _map(err, self.address) from None
        return [m.name for m in reply.models]


def _map(err: grpc.aio.AioRpcError, address: str) -> PrivsplitError:
    if err.code() == grpc.StatusCode.UNAVAILABLE and not any(
            k == "privsplit-error" for k, _ in (err.trailing_metadata() or ())):
        return CloudUnavailable(f"cloud unavailable at {address}")
    return from_rpc_error(err)
