"""The gateway's cross-cutting concerns for CloudInference RPCs, in one interceptor.

In order, for every CloudInference call: a malformed request body is refused
(INVALID_ARGUMENT, instead of gRPC's generic error); a TLS connection older than 1.3 is
refused (PERMISSION_DENIED); the caller is authenticated (bearer token
and, under mTLS, the client certificate's CN; a peer that failed too often is refused first,
RESOURCE_EXHAUSTED; a revoked client certificate before that, UNAUTHENTICATED) and bound to a
tenant; the tenant's rate limit
and, for streams, its concurrent-stream limit are applied; then the handler runs while
metrics (requests by code, latency, time to first chunk, active streams) and one structured
log line per RPC (request id, tenant, method, code, ms; never text) are recorded.

Health and reflection pass through untouched (they still sit behind mTLS). Typed errors
raised here propagate to ``ErrorMappingInterceptor``, which must be the outer interceptor.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from privsplit.cloud.auth import Authenticator, current_tenant
from privsplit.cloud.limits import TenantLimits
from privsplit.cloud.metrics import GatewayMetrics
from privsplit.shared.errors import PrivsplitError
from privsplit.shared.interceptors import (
    REQUEST_ID_KEY,
    check_parsed,
    request_id,
    safe_deserializer,
)
from privsplit.shared.logging import get_logger
from privsplit.shared.proto import CLOUD_SERVICE_NAME
from privsplit.shared.tls import peer_common_name, require_tls13

log = get_logger(__name__)
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "privsplit_request_id", default=""
)
_PREFIX = f"/{CLOUD_SERVICE_NAME}/"


def _code(exc: BaseException) -> str:
    if isinstance(exc, PrivsplitError):
        return exc.code.name
    if isinstance(exc, (GeneratorExit,)) or type(exc).__name__ == "CancelledError":
        return "CANCELLED"
    if isinstance(exc, grpc.aio.AbortError):
        return "ABORTED_BY_HANDLER"
    return "INTERNAL"


class GatewayInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self, *, authenticator: Authenticator, limits: TenantLimits, metrics: GatewayMetrics
    ) -> None:
        self.auth = authenticator
        self.limits = limits
        self.metrics = metrics

    def _authenticate(self, request: Any, context: grpc.aio.ServicerContext):
        check_parsed(request)
        require_tls13(context)
        pem = (context.auth_context() or {}).get("x509_pem_cert") or [None]
        tenant = self.auth.authenticate_peer(
            context.invocation_metadata(), peer_common_name(context), context.peer() or "", pem[0]
        )
        current_tenant.set(tenant)
        return tenant

    def _finish(self, method: str, tenant: str, code: str, started: float, rid: str) -> None:
        seconds = time.perf_counter() - started
        self.metrics.requests.labels(method=method, tenant=tenant, code=code).inc()
        self.metrics.latency.labels(method=method).observe(seconds)
        log.info(
            "rpc_done",
            request_id=rid,
            tenant=tenant,
            method=method,
            code=code,
            ms=round(seconds * 1000, 2),
        )

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not details.method.startswith(_PREFIX):
            return handler
        method = details.method[len(_PREFIX) :]
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method),
                safe_deserializer(handler.request_deserializer),
                handler.response_serializer,
            )
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method),
                safe_deserializer(handler.request_deserializer),
                handler.response_serializer,
            )
        return handler

    def _wrap_stream(self, inner: Callable, method: str) -> Callable:
        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            rid = request_id(context)
            current_request_id.set(rid)
            tenant, code = "unauthenticated", "OK"
            try:
                await context.send_initial_metadata(((REQUEST_ID_KEY, rid),))
                t = self._authenticate(request, context)
                tenant = t.name
                self.limits.admit(t)
                with self.limits.stream(t):
                    self.metrics.active_streams.inc()
                    try:
                        first = True
                        async for item in inner(request, context):
                            if first:
                                self.metrics.ttft.labels(method=method).observe(
                                    time.perf_counter() - started
                                )
                                first = False
                            yield item
                    finally:
                        self.metrics.active_streams.dec()
            except BaseException as exc:
                code = _code(exc)
                raise
            finally:
                self._finish(method, tenant, code, started, rid)

        return unary_stream

    def _wrap_unary(self, inner: Callable, method: str) -> Callable:
        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            rid = request_id(context)
            current_request_id.set(rid)
            tenant, code = "unauthenticated", "OK"
            try:
                t = self._authenticate(request, context)
                tenant = t.name
                self.limits.admit(t)
                return await inner(request, context)
            except BaseException as exc:
                code = _code(exc)
                raise
            finally:
                self._finish(method, tenant, code, started, rid)

        return unary_unary
