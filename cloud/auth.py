"""Tenants: bearer tokens stored as sha256 digests, compared in constant time, on top of mTLS.

Tokens are 32 random bytes (``new_token``), so a plain sha256 is a sound verifier: there is
nothing to brute-force. The presented token is hashed and compared with every tenant's
digest using ``hmac.compare_digest`` without an early exit, so timing does not reveal which
tenant (if any) nearly matched.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from privsplit.cloud.settings import TenantConfig
from privsplit.shared.errors import PermissionDenied, Unauthenticated

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


class Authenticator:
    """Maps a bearer token (and the verified client certificate CN) to a tenant.

    With no tenants configured (plain text on loopback only, enforced by the settings),
    every caller is the ``anonymous`` tenant with default limits.
    """

    def __init__(self, *, tenants: Sequence[TenantConfig]) -> None:
        self.tenants = tuple(tenants)
        self._digests = [bytes.fromhex(t.token_sha256) for t in self.tenants]

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
