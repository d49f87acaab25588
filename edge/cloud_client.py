"""The edge's gRPC client of the cloud gateway.

This is the only network client on the edge; it connects to exactly the configured cloud
address and nowhere else. Connection failures become ``CloudUnavailable``.

By default the connection is mutual TLS (``credentials`` from ``shared.tls.channel_credentials``)
and every call carries the tenant's bearer token in ``authorization`` metadata. Plain text is
allowed only to a loopback address and only when asked for (``insecure=True``).

A streamed answer is whole only when its last chunk carries the finish reason (every backend
sends one): a stream that ends without it (empty, or cut by the cloud) is a ``BackendError``,
never a shorter answer; a reply that does not parse is one too.

While a call is open the client pings the connection (``keepalive_seconds``): a link that goes
silent mid-answer (a cut cable, a dead peer) fails the call as ``CloudUnavailable`` within a few
seconds instead of at the call's deadline. The gateway allows pings at that rate.

Every call opens its own connection by default (``connection="per_call"``) and closes it when
the call ends, from a subchannel pool of its own: otherwise gRPC shares one HTTP/2 connection
between every call and every channel of the process with the same target, and the cloud (or a
proxy in front of it) could group the requests of different conversations by connection
(docs/reid.md, "Linkage across conversations"). ``connection="shared"`` keeps one connection
for the client's life and saves a TCP/TLS handshake per call. No TLS session is resumed
across connections (no session cache is configured).
"""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import grpc

from privsplit.edge.cloud_settings import CloudClientSettings
from privsplit.shared.errors import (
    BackendError,
    CloudUnavailable,
    ConfigError,
    PrivsplitError,
    from_rpc_error,
)
from privsplit.shared.net import host_of, is_loopback
from privsplit.shared.proto import CloudInferenceStub, cloud
from privsplit.shared.tls import channel_credentials
from privsplit.shared.types import Chunk, CompletionRequest, Usage


class CloudClient:
    def __init__(
        self,
        *,
        address: str,
        insecure: bool = False,
        deadline_seconds: float = 120.0,
        credentials: grpc.ChannelCredentials | None = None,
        call_credentials: grpc.CallCredentials | None = None,
        token: str | None = None,
        server_name: str = "",
        keepalive_seconds: float = 10.0,
        connection: Literal["per_call", "shared"] = "per_call",
    ) -> None:
        if insecure and not is_loopback(host_of(address)):
            raise ConfigError("a plain-text cloud connection is only allowed to a loopback address")
        if not insecure and credentials is None:
            raise ConfigError("TLS credentials are required for a non-loopback cloud connection")
        if token is not None and (not token or any(c in token for c in "\r\n ")):
            raise ConfigError("cloud token is empty or contains whitespace")
        if connection not in ("per_call", "shared"):
            raise ConfigError(f"cloud connection must be per_call or shared, not {connection!r}")
        self.connection = connection
        self.address = address
        self.deadline_seconds = deadline_seconds
        self._insecure = insecure
        self._credentials = credentials
        self._call_credentials = call_credentials
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._server_name = server_name
        self._keepalive_ms = int(keepalive_seconds * 1000)
        self._channel: grpc.aio.Channel | None = None

    @classmethod
    def from_settings(cls, settings: CloudClientSettings) -> CloudClient:
        """From the ``cloud`` section of ``EdgeSettings``: mTLS files and the token (or the
        loopback plain-text opt-in)."""
        creds = None
        if not settings.insecure:
            if settings.tls_ca is None:
                raise ConfigError(
                    "cloud.tls_ca is required for a TLS cloud connection "
                    "(or cloud.insecure: true to a loopback address)"
                )
            creds = channel_credentials(
                ca=settings.tls_ca, cert=settings.tls_cert, key=settings.tls_key
            )
        return cls(
            address=settings.address,
            insecure=settings.insecure,
            deadline_seconds=settings.deadline_seconds,
            credentials=creds,
            token=_token(settings),
            server_name=settings.tls_server_name,
            keepalive_seconds=settings.keepalive_seconds,
        )

    def _open(self) -> grpc.aio.Channel:
        options: list[tuple[str, Any]] = [
            ("grpc.enable_retries", 0),
            # pings only while a call is open: an idle device sends nothing
            ("grpc.keepalive_time_ms", self._keepalive_ms),
            ("grpc.keepalive_timeout_ms", max(2000, self._keepalive_ms // 2)),
            ("grpc.keepalive_permit_without_calls", 0),
            ("grpc.http2.max_pings_without_data", 0),
            # this channel's connections are its own: never shared with another channel
            ("grpc.use_local_subchannel_pool", 1),
        ]
        if self._server_name:
            options.append(("grpc.ssl_target_name_override", self._server_name))
        if self._insecure:
            return grpc.aio.insecure_channel(self.address, options=options)
        creds = self._credentials
        if self._call_credentials is not None:
            creds = grpc.composite_channel_credentials(creds, self._call_credentials)
        return grpc.aio.secure_channel(self.address, creds, options=options)

    @asynccontextmanager
    async def _stub(self) -> AsyncIterator[CloudInferenceStub]:
        """A stub for one call: on a connection of its own (per_call), or the shared one."""
        if self.connection == "shared":
            if self._channel is None:
                self._channel = self._open()
            yield CloudInferenceStub(self._channel)
            return
        channel = self._open()
        try:
            yield CloudInferenceStub(channel)
        finally:
            await channel.close()

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def __aenter__(self) -> CloudClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def stream(self, request: CompletionRequest) -> AsyncIterator[Chunk]:
        finished = False
        try:
            async with self._stub() as stub:
                call = stub.Complete(
                    request.to_pb(),
                    timeout=self.deadline_seconds,
                    wait_for_ready=False,
                    metadata=self._metadata,
                )
                async for response in call:
                    if response is None:  # grpc hands None for a message that did not parse
                        raise BackendError(
                            f"the cloud at {self.address} sent a reply that could not be read"
                        )
                    chunk = Chunk.from_pb(response)
                    finished = chunk.finish_reason is not None
                    yield chunk
        except grpc.aio.AioRpcError as err:
            raise _map(err, self.address) from None
        if not finished:  # an empty or cut answer must not pass for a whole one
            raise BackendError(
                f"the cloud at {self.address} ended its answer without the final chunk "
                "(empty or cut off)"
            )

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
            async with self._stub() as stub:
                reply = await stub.ListModels(
                    cloud.ListModelsRequest(),
                    timeout=self.deadline_seconds,
                    metadata=self._metadata,
                )
        except grpc.aio.AioRpcError as err:
            raise _map(err, self.address) from None
        return [m.name for m in reply.models]


def _token(settings: CloudClientSettings) -> str | None:
    if settings.token is not None and settings.token_file is not None:
        raise ConfigError("set cloud.token or cloud.token_file, not both")
    if settings.token is not None:
        return settings.token.get_secret_value().strip()
    if settings.token_file is None:
        return None
    path = Path(settings.token_file)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        token = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"cloud.token_file: cannot read {path} ({exc.strerror})") from None
    if mode & 0o077:
        raise ConfigError(
            f"cloud.token_file: {path} is readable by group/others (mode {mode:o}); chmod 600 it"
        )
    return token


def _map(err: grpc.aio.AioRpcError, address: str) -> PrivsplitError:
    typed = any(k == "privsplit-error" for k, _ in (err.trailing_metadata() or ()))
    if err.code() == grpc.StatusCode.UNAVAILABLE and not typed:
        return CloudUnavailable(f"cloud unavailable at {address}")
    if err.code() == grpc.StatusCode.INTERNAL and not typed:  # e.g. a reply that does not parse
        return BackendError(f"the cloud at {address} sent a reply that could not be read")
    return from_rpc_error(err)
