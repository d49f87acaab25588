"""The OpenAI-compatible HTTP API (Starlette): /v1/chat/completions (SSE and not), /v1/models,
/healthz and Prometheus /metrics.

Point the official ``openai`` package at ``http://127.0.0.1:PORT/v1`` with model
``privsplit`` and the daemon's API key; every prompt then goes through the edge pipeline.
Every request first passes ``http_access.AccessGuard`` (Host and Origin allow-lists, the key
on every path but /healthz, JSON content type on POST). Optional headers:
``X-Privsplit-Conversation`` (a conversation id: one vault across turns) and ``X-Request-Id``.
Sampling fields (``max_tokens``, ``temperature``, ``top_p``, ``seed``) apply to the cloud's
answers; ``stop`` and non-zero penalties are refused (``pipeline.sampling``).
Replies add a ``privsplit`` object (``reid``: the re-identification budget's bits and kinds)
when a budget applied; in a stream it rides on the last chunk. No progress events: this API
takes no documents, and a stream starts only at the first answer piece.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from privsplit.edge.daemon.agent import AskOptions, EdgeAgent
from privsplit.edge.daemon.http_access import access_middleware
from privsplit.edge.daemon.risk import ReidReport
from privsplit.edge.daemon.settings import LOOPBACK_HOSTS
from privsplit.edge.pipeline import AskResult, PipelineEvent
from privsplit.edge.pipeline.sampling import from_openai
from privsplit.shared.errors import (
    InvalidRequest,
    NotFound,
    PrivacyBlocked,
    PrivsplitError,
)
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
MODEL_ID = "privsplit"
KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "n",
        "stop",
        "seed",
        "user",
        "presence_penalty",
        "frequency_penalty",
    }
)
ROLES = frozenset({"system", "user", "assistant"})
_RID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 422,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def _error_body(exc: PrivsplitError) -> dict[str, Any]:
    kind = "privacy_blocked" if isinstance(exc, PrivacyBlocked) else exc.code.name.lower()
    return {
        "error": {"message": exc.message, "type": kind, "code": type(exc).__name__, "param": None}
    }


def error_response(exc: BaseException, status: int | None = None) -> JSONResponse:
    if not isinstance(exc, PrivsplitError):
        log.error("http_failed", error=type(exc).__name__)
        exc = PrivsplitError("internal error (see the daemon log for the error type)")
    return JSONResponse(_error_body(exc), status_code=status or STATUS.get(exc.code, 500))


def _content(message: Any, index: int) -> tuple[str, str]:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise InvalidRequest(f"messages[{index}] needs a role of {', '.join(sorted(ROLES))}")
    if message["role"] not in ROLES:
        raise InvalidRequest(f"messages[{index}] needs a role of {', '.join(sorted(ROLES))}")
    content = message.get("content")
    if isinstance(content, list):  # [{"type": "text", "text": ...}]
        if not all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        ):
            raise InvalidRequest(f"messages[{index}].content: only text parts are supported")
        content = "".join(p["text"] for p in content)
    if not isinstance(content, str):
        raise InvalidRequest(f"messages[{index}].content must be a string")
    return message["role"], content


def prompt_from_messages(messages: Any) -> str:
    """One request text: the last user turn, preceded by the earlier turns as a transcript."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages must be a non-empty list")
    turns = [_content(m, i) for i, m in enumerate(messages)]
    if turns[-1][0] != "user":
        raise InvalidRequest("the last message must come from the user")
    if len(turns) == 1:
        return turns[0][1]
    history = "\n".join(f"{role.capitalize()}: {text}" for role, text in turns[:-1])
    return f"Conversation so far:\n{history}\n\nUser: {turns[-1][1]}"


def parse_chat_request(body: Any) -> tuple[str, bool, bool]:
    """(prompt, stream, include_usage) from a chat.completions body; a clear error otherwise."""
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        raise InvalidRequest(f"unsupported fields: {', '.join(unknown)}")
    if body.get("model") != MODEL_ID:
        raise NotFound(f"unknown model; this server serves '{MODEL_ID}'")
    if body.get("n", 1) != 1:
        raise InvalidRequest("only n=1 is supported")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("stream must be true or false")
    options = body.get("stream_options") or {}
    include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
    return prompt_from_messages(body.get("messages")), stream, include_usage


def _usage(result: AskResult) -> dict[str, int]:
    u = result.cloud_usage
    return {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.prompt_tokens + u.completion_tokens,
    }


def _privsplit(result: AskResult | None) -> dict[str, Any]:
    """The reply's ``privsplit`` extension: the re-identification budget (``reid``: bits and
    kinds, never a value; ``risk.ReidReport``) when one applied; OpenAI clients ignore it."""
    risk = ReidReport.of(result.reid) if result is not None else None
    return {"privsplit": {"reid": risk.to_json()}} if risk is not None else {}


def _chunk(
    cid: str,
    created: int,
    delta: dict[str, Any],
    finish: str | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **(extra or {}),
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def build_app(
    *,
    agent: EdgeAgent,
    api_key: str,
    allowed_hosts: tuple[str, ...] | list[str] = LOOPBACK_HOSTS,
    allowed_origins: tuple[str, ...] | list[str] = (),
    max_body_bytes: int = 4 << 20,
) -> Starlette:
    """The app behind its access guard; ``api_key`` is required (the API is never open)."""

    async def read_json(request: Request) -> Any:
        declared = request.headers.get("content-length") or "0"
        if not declared.isdigit():
            raise InvalidRequest("Content-Length must be a number of bytes")
        size = int(declared)
        data = bytearray()
        if size > max_body_bytes:
            raise InvalidRequest(f"the body is larger than {max_body_bytes} bytes")
        async for part in request.stream():
            data += part
            if len(data) > max_body_bytes:
                raise InvalidRequest(f"the body is larger than {max_body_bytes} bytes")
        try:
            return json.loads(data)
        except ValueError:  # invalid UTF-8 too
            raise InvalidRequest("the body is not valid JSON") from None
        except RecursionError:
            raise InvalidRequest("the body's JSON is nested too deeply") from None

    async def chat_completions(request: Request) -> Response:
        try:
            body = await read_json(request)
            text, stream, include_usage = parse_chat_request(body)
            rid = request.headers.get("x-request-id") or uuid.uuid4().hex
            if not _RID_RE.match(rid):
                raise InvalidRequest("X-Request-Id must be 1-64 characters of [A-Za-z0-9_.-]")
            options = AskOptions(
                conversation_id=request.headers.get("x-privsplit-conversation", ""),
                request_id=rid,
                params=from_openai(body, agent.pipeline.params),  # applied, or refused
            )
            if not stream:
                async with agent.observe("http", "chat.completions"):
                    result = await agent.ask(text, options)
                return JSONResponse(
                    {
                        "id": f"chatcmpl-{rid}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": MODEL_ID,
                        "usage": _usage(result),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": result.answer},
                            }
                        ],
                        **_privsplit(result),
                    },
                    headers={"x-request-id": rid, "x-privsplit-route": result.route},
                )
            return await _stream_response(agent, text, options, include_usage)
        except Exception as exc:  # typed errors keep their status; others become a fixed 500
            return error_response(exc)

    async def models(request: Request) -> Response:
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "privsplit"}
                ],
            }
        )

    async def healthz(request: Request) -> Response:  # open: says only that the daemon runs
        return JSONResponse({"status": "ok"})

    async def metrics(request: Request) -> Response:
        return Response(agent.metrics.render(), media_type=agent.metrics.content_type)

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        middleware=access_middleware(
            api_key=api_key,
            allowed_hosts=allowed_hosts,
            allowed_origins=allowed_origins,
            respond=error_response,
        ),
    )


async def _stream_response(
    agent: EdgeAgent, text: str, options: AskOptions, include_usage: bool
) -> Response:
    """SSE. Events up to the first answer piece are taken before the response starts, so a
    request refused before anything was sent still gets a proper HTTP error status."""
    events = agent.stream(text, options)
    early: list[PipelineEvent] = []
    async with agent.observe("http", "chat.completions.stream"):
        async for event in events:
            early.append(event)
            if event.kind in ("delta", "done"):
                break
    cid, created = f"chatcmpl-{options.request_id}", int(time.time())

    async def body() -> AsyncIterator[bytes]:
        yield _chunk(cid, created, {"role": "assistant", "content": ""})
        result: AskResult | None = None
        try:
            async for event in _chain(early, events):
                if event.kind == "delta" and event.text:
                    yield _chunk(cid, created, {"content": event.text})
                elif event.kind == "done":
                    result = event.result
        except PrivsplitError as exc:
            yield b"data: " + json.dumps(_error_body(exc)).encode() + b"\n\n"
            return
        except Exception as exc:
            log.error("http_stream_failed", error=type(exc).__name__)
            yield (
                b"data: "
                + json.dumps(_error_body(PrivsplitError("internal error"))).encode()
                + b"\n\n"
            )
            return
        yield _chunk(cid, created, {}, "stop", _privsplit(result))
        if include_usage and result is not None:
            usage = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [],
                "usage": _usage(result),
            }
            yield b"data: " + json.dumps(usage).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"x-request-id": options.request_id, "cache-control": "no-cache"},
    )


async def _chain(
    early: list[PipelineEvent], rest: AsyncIterator[PipelineEvent]
) -> AsyncIterator[PipelineEvent]:
    for event in early:
        yield event
    async for event in rest:
        yield event
