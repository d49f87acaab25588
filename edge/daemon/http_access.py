"""Who may call the daemon's HTTP API: the checks every request passes before any work.

``AccessGuard`` is an ASGI middleware in front of the whole app. In this order it refuses:
1. a ``Host`` header that is not in ``daemon.allowed_hosts`` (loopback names by default, any
   port), or no ``Host`` at all: 403. A web page that rebinds its own DNS name to 127.0.0.1
   still sends its own name, so it cannot read our answers;
2. a request carrying an ``Origin`` (browsers add it) that matches no pattern of
   ``daemon.allowed_origins`` / ``PRIVSPLIT_ORIGINS`` (none by default): 403. Requests without
   ``Origin`` (the SDKs, curl, scripts) pass this check;
3. a missing or wrong ``Authorization: Bearer KEY``: 401, on every path but ``open_paths``
   (``/healthz``); the key is compared in constant time. A CORS preflight from an allowed
   origin carries no key by design and is answered by Starlette's CORSMiddleware;
4. a POST whose ``Content-Type`` is not ``application/json``: 415, so a page cannot send a
   blind ``text/plain`` or form POST.
Refusals are built by the ``respond`` callable given by the app (the OpenAI error shape); no
request header value is echoed or logged.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from privsplit.shared.errors import (
    InvalidRequest,
    PermissionDenied,
    PrivsplitError,
    Unauthenticated,
)

Respond = Callable[[PrivsplitError, int], Response]
REQUEST_HEADERS = ["authorization", "content-type", "x-privsplit-conversation", "x-request-id"]
RESPONSE_HEADERS = ["x-request-id", "x-privsplit-route"]


def host_name(value: str) -> str:
    """``Host`` header without its port, lowercased: ``[::1]:8765`` -> ``[::1]``."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[: end + 1] if end != -1 else value
    name, sep, port = value.rpartition(":")
    return name if sep and port.isdigit() else value


def _bracketed(host: str) -> str:
    host = host.strip().lower()
    return f"[{host}]" if host.count(":") > 1 and not host.startswith("[") else host


def origin_pattern(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for the allowed Origin patterns, where ``*`` stands for any characters."""
    parts = [".*".join(re.escape(p) for p in pattern.split("*")) for pattern in patterns]
    return re.compile("(?i:" + "|".join(parts) + ")") if parts else None


class AccessGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        api_key: str,
        allowed_hosts: Iterable[str],
        allowed_origins: Iterable[str],
        respond: Respond,
        open_paths: frozenset[str] = frozenset({"/healthz"}),
    ) -> None:
        if not api_key:
            raise ValueError("the HTTP API needs an API key")
        self.app = app
        self._key = api_key.encode()
        self._hosts = {_bracketed(h) for h in allowed_hosts}
        self._origins = origin_pattern(allowed_origins)
        self._respond = respond
        self._open = open_paths

    def refusal(
        self, method: str, path: str, headers: Headers
    ) -> tuple[PrivsplitError, int] | None:
        """Why this request is refused (an error and its HTTP status), or None."""
        host = headers.get("host")
        if host is None or not (
            "*" in self._hosts or host_name(host) in self._hosts or host.lower() in self._hosts
        ):
            return PermissionDenied("this Host is not served (see daemon.allowed_hosts)"), 403
        origin = headers.get("origin")
        if origin is not None and not (self._origins and self._origins.fullmatch(origin)):
            return PermissionDenied(
                "requests from this browser origin are refused "
                "(allow it with daemon.allowed_origins or PRIVSPLIT_ORIGINS)"
            ), 403
        if method == "OPTIONS" and origin and "access-control-request-method" in headers:
            return None  # a preflight of an allowed origin: CORSMiddleware answers it
        if path not in self._open and not self._key_matches(headers.get("authorization", "")):
            return Unauthenticated("missing or wrong API key (see `privsplit edge key`)"), 401
        if method == "POST":
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                return InvalidRequest("POST needs Content-Type: application/json"), 415
        return None

    def _key_matches(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        ok = hmac.compare_digest(token.strip().encode(), self._key)  # constant time
        return ok and scheme.lower() == "bearer"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope["method"], scope["path"], Headers(scope=scope))
        if refused is None:
            await self.app(scope, receive, send)
            return
        response = self._respond(*refused)
        if refused[1] == 401:
            response.headers["www-authenticate"] = "Bearer"
        await response(scope, receive, send)


def access_middleware(
    *, api_key: str, allowed_hosts: Iterable[str], allowed_origins: Iterable[str], respond: Respond
) -> list[Middleware]:
    """The guard, then CORS for the allowed origins (only when some are configured)."""
    origins = list(allowed_origins)
    stack = [
        Middleware(
            AccessGuard,
            api_key=api_key,
            allowed_hosts=list(allowed_hosts),
            allowed_origins=origins,
            respond=respond,
        )
    ]
    pattern = origin_pattern(origins)
    if pattern is not None:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origin_regex=pattern.pattern,
                allow_methods=["GET", "POST"],
                allow_headers=REQUEST_HEADERS,
                expose_headers=RESPONSE_HEADERS,
            )
        )
    return stack
