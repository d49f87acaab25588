"""Any OpenAI-compatible HTTP server (vLLM, TGI, Ollama, llama.cpp's server) as a backend.

One pooled ``httpx.AsyncClient`` per gateway; each completion is a streamed
``POST {base_url}/chat/completions`` parsed as server-sent events. A connection that cannot
be opened is retried (with backoff, within the deadline); nothing is retried once the
request was sent, so a model never runs a prompt twice. The request deadline becomes the
HTTP timeout. Failures map to typed errors whose messages carry status codes, never text
from the backend (it may echo the prompt).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from privsplit.cloud.backends.base import Backend, register
from privsplit.shared.errors import (
    BackendError,
    Busy,
    ConfigError,
    DeadlineExceeded,
    InvalidRequest,
)
from privsplit.shared.logging import get_logger
from privsplit.shared.types import Chunk, CompletionRequest, Usage

if TYPE_CHECKING:
    from privsplit.cloud.settings import CloudSettings

log = get_logger(__name__)

try:
    import httpx

    _AVAILABLE, _WHY = True, ""
except ImportError as exc:
    httpx = None  # type: ignore[assignment]
    _AVAILABLE, _WHY = False, f"httpx is not installed ({exc}); pip install 'privsplit[cloud]'"


def _status_error(status: int) -> Exception:
    if status == 429:
        return Busy("model backend is overloaded (HTTP 429); retry later")
    if status in (400, 404, 413, 422):
        return InvalidRequest(f"model backend rejected the request (HTTP {status})")
    return BackendError(f"model backend failed (HTTP {status})")


@register
class OpenAICompatBackend(Backend):
    name = "openai"
    is_available = _AVAILABLE
    unavailable_reason = _WHY

    def __init__(
        self,
        *,
        base_url: str,
        model: str = "",
        api_key: str | None = None,
        context_length: int = 0,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        max_connections: int = 256,
        connect_retries: int = 2,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.context_length = context_length
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self.connect_retries = connect_retries
        self._client: Any = None
        self._waiting = 0

    @classmethod
    def from_settings(cls, settings: CloudSettings) -> OpenAICompatBackend:
        s = settings.openai
        key = None
        if s.api_key_env:
            key = os.environ.get(s.api_key_env)
            if not key:
                raise ConfigError(f"openai.api_key_env names {s.api_key_env}, which is not set")
        return cls(
            base_url=s.base_url,
            model=s.model,
            api_key=key,
            context_length=s.context_length,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            max_connections=s.max_connections,
            connect_retries=s.connect_retries,
        )

    @property
    def queue_depth(self) -> int:
        return self._waiting

    async def start(self) -> None:
        headers = {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            limits=httpx.Limits(
                max_connections=self.max_connections, max_keepalive_connections=self.max_connections
            ),
            timeout=httpx.Timeout(self.read_timeout, connect=self.connect_timeout),
        )
        if not self.model:
            self.model = await self._discover_model()
        log.info("backend_started", backend=self.name, model=self.model)

    async def _discover_model(self) -> str:
        try:
            reply = await self._client.get("/models")
            reply.raise_for_status()
            data = reply.json()["data"]
            return str(data[0]["id"])
        except Exception as exc:
            raise ConfigError(
                f"openai.model is empty and {self.base_url}/models did not name a model "
                f"({type(exc).__name__}); set openai.model"
            ) from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def models(self) -> list[dict[str, Any]]:
        return [{"name": self.model, "context_length": self.context_length, "is_default": True}]

    def _body(self, request: CompletionRequest) -> dict[str, Any]:
        p = request.params
        body: dict[str, Any] = {
            "model": self.model,
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": p.max_tokens,
            "temperature": p.temperature,
            "top_p": p.top_p,
        }
        if p.stop:
            body["stop"] = list(p.stop)
        if p.seed:
            body["seed"] = p.seed
        return body

    async def _open(self, body: dict[str, Any], deadline: float | None) -> Any:
        """Send the request; retry only when the connection could not be opened."""
        attempt = 0
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise DeadlineExceeded("deadline passed before the model backend answered")
            timeout = httpx.Timeout(
                min(self.read_timeout, remaining) if remaining else self.read_timeout,
                connect=min(self.connect_timeout, remaining or self.connect_timeout),
            )
            req = self._client.build_request(
                "POST", "/chat/completions", json=body, timeout=timeout
            )
            try:
                return await self._client.send(req, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt >= self.connect_retries:
                    log.warning(
                        "backend_connect_failed",
                        backend=self.name,
                        attempts=attempt + 1,
                        error=type(exc).__name__,
                    )
                    raise BackendError("model backend is unreachable") from None
                attempt += 1
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))

    async def complete(
        self, request: CompletionRequest, *, deadline: float | None = None
    ) -> AsyncIterator[Chunk]:
        assert self._client is not None, "backend not started"
        self._waiting += 1
        waiting = True
        try:
            response = await self._open(self._body(request), deadline)
            try:
                if response.status_code != 200:
                    raise _status_error(response.status_code)
                completion_tokens, finish, usage = 0, None, None
                async for line in response.aiter_lines():
                    if waiting:
                        self._waiting -= 1
                        waiting = False
                    if deadline is not None and time.monotonic() > deadline:
                        raise DeadlineExceeded(
                            "deadline passed while the model backend was generating"
                        )
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        fr = "length" if finish == "length" else "stop"
                        yield Chunk(
                            text="",
                            finish_reason=fr,
                            usage=usage or Usage(completion_tokens=completion_tokens),
                        )
                        return
                    event = _parse(data)
                    if event.get("usage"):
                        u = event["usage"]
                        usage = Usage(
                            prompt_tokens=int(u.get("prompt_tokens") or 0),
                            completion_tokens=int(u.get("completion_tokens") or 0),
                        )
                    for choice in event.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content") or ""
                        finish = choice.get("finish_reason") or finish
                        if text:
                            completion_tokens += 1
                            yield Chunk(text=text)
                raise BackendError("model backend closed the stream before finishing")
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            if deadline is not None and time.monotonic() >= deadline - 0.01:
                raise DeadlineExceeded(
                    "deadline passed while the model backend was generating"
                ) from None
            raise BackendError("model backend timed out") from None
        except httpx.HTTPError as exc:  # connection reset, protocol error: the backend went away
            log.warning("backend_stream_failed", backend=self.name, error=type(exc).__name__)
            raise BackendError("model backend connection lost") from None
        finally:
            if waiting:
                self._waiting -= 1


def _parse(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError:
        raise BackendError("model backend sent a malformed stream event") from None
    if not isinstance(event, dict):
        raise BackendError("model backend sent a malformed stream event")
    if "error" in event:
        raise BackendError("model backend reported an error mid-stream")
    return event
