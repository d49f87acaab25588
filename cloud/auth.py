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

Revoked clients: ``Revocations`` holds a deny list of client-certificate SHA-256
fingerprints and, optionally, a CRL signed by the client CA (reloaded when the file
changes). A call whose verified peer certificate is on either is refused with
``Unauthenticated`` ("this client certificate is revoked": its credential is no longer valid)
before its token is looked at and without counting as a guess; the refusal is logged with
the certificate CN and a 16-character fingerprint prefix, never a token.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from privsplit.cloud.settings import TenantConfig
from privsplit.shared.errors import (
    ConfigError,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
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


def fingerprint(cert: x509.Certificate) -> str:
    """Lowercase hex SHA-256 of the certificate's DER (``openssl x509 -fingerprint -sha256``
    without colons)."""
    return cert.fingerprint(hashes.SHA256()).hex()


def _load_crl(path: Path, ca_path: Path | None) -> x509.CertificateRevocationList:
    try:
        data = path.read_bytes()
        crl = (
            x509.load_pem_x509_crl(data)
            if b"-----BEGIN X509 CRL" in data
            else x509.load_der_x509_crl(data)
        )
    except (OSError, ValueError) as exc:
        raise ConfigError(f"tls_client_crl {path}: cannot read a CRL ({exc})") from exc
    if ca_path is not None:
        ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
        if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):
            raise ConfigError(f"tls_client_crl {path} is not signed by the client CA")
    return crl


class Revocations:
    """Revoked client certificates: a fingerprint deny list and an optional CRL file.

    The CRL must be signed by the client CA (checked at load); it is re-read when its
    modification time changes, so a revocation takes effect without a restart. A CRL that
    later becomes unreadable keeps the last good one in force (and is logged).
    """

    def __init__(
        self,
        fingerprints: Iterable[str] = (),
        *,
        crl_path: Path | None = None,
        ca_path: Path | None = None,
    ) -> None:
        self.fingerprints = frozenset(fingerprints)
        self.crl_path, self.ca_path = crl_path, ca_path
        self._crl: x509.CertificateRevocationList | None = None
        self._mtime = 0
        if crl_path is not None:
            self._crl = _load_crl(crl_path, ca_path)
            self._mtime = os.stat(crl_path).st_mtime_ns

    @property
    def active(self) -> bool:
        return bool(self.fingerprints) or self.crl_path is not None

    def _current_crl(self) -> x509.CertificateRevocationList | None:
        if self.crl_path is None:
            return None
        try:
            mtime = os.stat(self.crl_path).st_mtime_ns
            if mtime != self._mtime:
                self._crl = _load_crl(self.crl_path, self.ca_path)
                self._mtime = mtime
                log.info("crl_reloaded", revoked=len(self._crl))
        except (OSError, ConfigError) as exc:
            log.error("crl_reload_failed", detail=str(exc))
        return self._crl

    def check(self, cert_pem: bytes | None, peer: str) -> None:
        """Raise ``Unauthenticated`` when the peer certificate is revoked."""
        if not self.active or not cert_pem:
            return
        cert = x509.load_pem_x509_certificate(cert_pem)
        fp = fingerprint(cert)
        crl = self._current_crl()
        how = "fingerprint" if fp in self.fingerprints else None
        if how is None and crl is not None and crl.issuer == cert.issuer:
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                how = "crl"
        if how is not None:
            names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            log.warning(
                "auth_refused_revoked",
                peer=peer,
                cn=str(names[0].value) if names else "",
                fingerprint=fp[:16],
                by=how,
            )
            raise Unauthenticated("this client certificate is revoked")


class Authenticator:
    """Maps a bearer token (and the verified client certificate CN) to a tenant.

    With no tenants configured (plain text on loopback only, enforced by the settings),
    every caller is the ``anonymous`` tenant with default limits.
    """

    def __init__(
        self,
        *,
        tenants: Sequence[TenantConfig],
        limiter: FailureLimiter | None = None,
        revocations: Revocations | None = None,
    ) -> None:
        self.tenants = tuple(tenants)
        self._digests = [bytes.fromhex(t.token_sha256) for t in self.tenants]
        self.limiter = limiter or FailureLimiter()
        self.revocations = revocations or Revocations()

    def authenticate_peer(
        self,
        metadata: Sequence[tuple[str, str | bytes]] | None,
        client_name: str | None,
        peer: str,
        cert_pem: bytes | None = None,
    ) -> TenantConfig:
        """``authenticate`` of the call's metadata behind the revocation check and the peer's
        failure limit (``peer`` as gRPC writes it: ``ipv4:10.0.0.7:51234``; the port is not
        part of the key). ``cert_pem``: the verified client certificate, under mTLS."""
        self.revocations.check(cert_pem, peer)
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
