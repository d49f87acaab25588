"""Server interceptors shared by the cloud gateway and the edge daemon.

``ErrorMappingInterceptor`` turns a ``PrivsplitError`` into its gRPC status with the class
name in trailing metadata (the SDK maps it back), and any other exception into INTERNAL
with a fixed message: raw exception text can carry private data, so it never reaches the
client or the log (only its type is logged). A request body that does not parse as the
method's message is refused with ``InvalidRequest`` (INVALID_ARGUMENT), never gRPC's generic
UNKNOWN with the parser's exception text.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from privsplit.shared.errors import (
    ERROR_METADATA_KEY,
    InvalidRequest,
    PrivsplitError,
    entity_types_metadata,
)
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
REQUEST_ID_KEY = "x-request-id"


class _Malformed:
    """Stands in for a request body that did not parse; the handler refuses it."""


MALFORMED = _Malformed()


def safe_deserializer(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """``deserializer`` that answers ``MALFORMED`` instead of raising (the bytes are never
    logged)."""
    if deserializer is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:  # protobuf DecodeError and friends
            return MALFORMED

    return parse


def check_parsed(request: Any) -> None:
    if request is MALFORMED:
        raise InvalidRequest("request body is not a valid protobuf message for this method")


async def _abort(context: grpc.aio.ServicerContext, exc: BaseException, method: str) -> None:
    if isinstance(exc, PrivsplitError):
        context.set_trailing_metadata(
            ((ERROR_METADATA_KEY, type(exc).__name__), *entity_types_metadata(exc))
        )
        log.info("rpc_refused", method=method, code=exc.code.name, error=type(exc).__name__)
        await context.abort(exc.code, exc.message)
    log.error("rpc_failed", method=method, error=type(exc).__name__)
    await context.abort(
        grpc.StatusCode.INTERNAL, "internal error (see server log for the error type)"
    )


def request_id(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_KEY and isinstance(value, str) and 0 < len(value) <= 64:
            return value
    return uuid.uuid4().hex


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        method = details.method
        if handler.unary_unary:
            inner_uu = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    check_parsed(request)
                    return await inner_uu(request, context)
                except grpc.aio.AbortError:
                    raise
                except Exception as exc:
                    await _abort(context, exc, method)

            return grpc.unary_unary_rpc_method_handler(
                unary_unary,
                safe_deserializer(handler.request_deserializer),
                handler.response_serializer,
            )
        if handler.unary_stream:
            inner_us = handler.unary_stream

            async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    check_parsed(request)
                    async for item in inner_us(request, context):
                        yield item
                except grpc.aio.AbortError:
                    raise
                except Exception as exc:
                    await _abort(context, exc, method)

            return grpc.unary_stream_rpc_method_handler(
                unary_stream,
                safe_deserializer(handler.request_deserializer),
                handler.response_serializer,
            )
        return handler
