"""Tenants: bearer tokens stored as sha256 digests, compared in constant time, on top of mTLS.

Tokens are 32 random bytes (``new_token``), so a plain sha256 is a sound verifier: there is
nothing to brute-force. The presented token is hashed and compared with every tenant's
digest using ``hmac.compare_digest`` without an early exit, so timing does not reveal which
tenant (if any) nearly matched.

Guessing is still braked: ``FailureLimiter`` counts failed authentications per peer (the
client's address and, under mTLS, its certificate CN). After ``max_failures`` within
``window_seconds`` the peer is refused with ``ResourceExhausted`` before its token is looked
at, until the window has passed; every failure and every lock is logged (peer, count; never
the token). On plain text (loopback only) every local client is one peer.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence

from privsplit.cloud.settings import TenantConfig
from privsplit.shared.errors import PermissionDenied, ResourceExhausted, Unauthenticated
from privsplit.shared.logging import get_logger

log = get_logger(__name__)

AUTH_METADATA_KEY = "authorization"
ANONYMOUS = TenantConfig(name="anonymous", token_sha256="0" * 64)

current_tenant: contextvars.ContextVar[TenantConfig] = contextvars.ContextVar(
    "privsplit_tenant", default=ANONYMOUS
)


def new_token() -> str:
    return "psk_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    for key, value in metadata or ():
        if key == AUTH_METADATA_KEY:
            value = value.decode("latin-1") if isinstance(value, bytes) else value
            scheme, _, token = value.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("authorization metadata must be 'Bearer <token>'")
            return token.strip()
    return None


class FailureLimiter:
    """Failed authentications per peer in a sliding window; runs on the event loop thread."""

    def __init__(
        self,
        *,
        max_failures: int = 10,
        window_seconds: float = 60.0,
        max_peers: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.max_peers = max_peers
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def _recent(self, peer: str) -> list[float]:
        since = self._clock() - self.window_seconds
        recent = [t for t in self._failures.get(peer, ()) if t > since]
        if recent:
            self._failures[peer] = recent
        else:
            self._failures.pop(peer, None)
        return recent

    def check(self, peer: str) -> None:
        if len(self._recent(peer)) >= self.max_failures:
            log.warning("auth_refused_locked", peer=peer)
            raise ResourceExhausted(
                f"too many failed authentications from this client; retry after "
                f"{self.window_seconds:g} s"
            )

    def failed(self, peer: str) -> None:
        if peer not in self._failures and len(self._failures) >= self.max_peers:
            for other in list(self._failures):  # bounded memory: forget the stale ones
                self._recent(other)
        recent = self._recent(peer)
        recent.append(self._clock())
        self._failures[peer] = recent
        log.warning("auth_failed", peer=peer, failures=len(recent))
        if len(recent) == self.max_failures:
            log.warning("auth_locked", peer=peer, seconds=self.window_seconds)


class Authenticator:
    """Maps a bearer token (and the verified client certificate CN) to a tenant.

    With no tenants configured (plain text on loopback only, enforced by the settings),
    every caller is the ``anonymous`` tenant with default limits.
    """

    def __init__(
        self, *, tenants: Sequence[TenantConfig], limiter: FailureLimiter | None = None
    ) -> None:
        self.tenants = tuple(tenants)
        self._digests = [bytes.fromhex(t.token_sha256) for t in self.tenants]
        self.limiter = limiter or FailureLimiter()

    def authenticate_peer(
        self,
        metadata: Sequence[tuple[str, str | bytes]] | None,
        client_name: str | None,
        peer: str,
    ) -> TenantConfig:
        """``authenticate`` of the call's metadata behind the peer's failure limit (``peer``
        as gRPC writes it: ``ipv4:10.0.0.7:51234``; the port is not part of the key)."""
        if not self.tenants:
            return ANONYMOUS
        host = peer if peer.startswith("unix") else peer.rpartition(":")[0] or peer
        key = f"{host}/{client_name}" if client_name else host
        self.limiter.check(key)
        try:
            return self.authenticate(bearer_token(metadata), client_name)
        except Unauthenticated:
            self.limiter.failed(key)
            raise

    @property
    def required(self) -> bool:
        return bool(self.tenants)

    def authenticate(self, token: str | None, client_name: str | None) -> TenantConfig:
        if not self.tenants:
            return ANONYMOUS
        if token is None:
            raise Unauthenticated("missing bearer token (authorization metadata)")
        presented = hashlib.sha256(token.encode("utf-8")).digest()
        match: TenantConfig | None = None
        for tenant, digest in zip(self.tenants, self._digests):
            if hmac.compare_digest(presented, digest) and match is None:
                match = tenant
        if match is None:
            raise Unauthenticated("invalid bearer token")
        if match.client_names and client_name not in match.client_names:
            raise PermissionDenied("this client certificate may not use this tenant's token")
        return match

    @staticmethod
    def check_model(tenant: TenantConfig, model: str) -> None:
        if tenant.models and model not in tenant.models:
            raise PermissionDenied(f"tenant '{tenant.name}' may not use model '{model}'")
