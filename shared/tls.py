"""Certificates and gRPC TLS credentials, used by both the cloud gateway and the edge client.

``init_pki`` creates a private CA, a server certificate and client certificates with
``cryptography`` (ECDSA P-256). Private keys are written with mode 0600 and refused when
loaded with looser permissions: a key readable by others is treated as already leaked.

The credentials helpers build mutual-TLS credentials for grpc: the server requires and
verifies a client certificate signed by the configured CA; the client verifies the server
against the same CA and presents its own certificate. grpcio cannot set a minimum TLS
version, so the gateway checks the negotiated version of every call (``require_tls13``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from privsplit.shared.errors import ConfigError, PermissionDenied

KEY_MODE = 0o600


@dataclass(frozen=True, slots=True)
class CertPaths:
    cert: Path
    key: Path


@dataclass(frozen=True, slots=True)
class Pki:
    """What ``init_pki`` wrote."""

    ca: CertPaths
    server: CertPaths
    clients: dict[str, CertPaths]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_MODE)
    try:
        os.fchmod(fd, KEY_MODE)  # O_CREAT's mode does not apply to an existing file
        os.write(fd, data)
    finally:
        os.close(fd)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.chmod(0o644)


def _san(names: Iterable[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _issue(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key,
    signing_key: ec.EllipticCurvePrivateKey,
    days: int,
    ca: bool,
    usage: list | None,
    sans: Sequence[str] = (),
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=False,
                crl_sign=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage or []), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    if sans:
        builder = builder.add_extension(_san(sans), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _check_name(name: str, what: str) -> None:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise ConfigError(
            f"{what} '{name}' must be 1-64 characters of letters, digits, '-', '_' or '.'"
        )


def init_pki(
    directory: Path,
    *,
    server_names: Sequence[str],
    clients: Sequence[str],
    org: str = "privsplit",
    days: int = 365,
    ca_days: int = 3650,
    force: bool = False,
) -> Pki:
    """Create ca.pem/ca.key, server.pem/server.key and client-NAME.pem/.key in ``directory``."""
    directory = Path(directory)
    if not server_names:
        raise ConfigError("at least one server name (DNS name or IP) is required")
    if not clients:
        raise ConfigError("at least one client name is required")
    for c in clients:
        _check_name(c, "client name")
    if len(set(clients)) != len(clients):
        raise ConfigError("client names must be unique")
    targets = [directory / n for n in ("ca.pem", "ca.key", "server.pem", "server.key")]
    targets += [directory / f"client-{c}.{ext}" for c in clients for ext in ("pem", "key")]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise ConfigError(
            f"refusing to overwrite existing files (pass --force): {', '.join(existing)}"
        )
    directory.mkdir(parents=True, exist_ok=True)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{org} private CA", org)
    ca_cert = _issue(
        subject=ca_name,
        issuer=ca_name,
        public_key=ca_key.public_key(),
        signing_key=ca_key,
        days=ca_days,
        ca=True,
        usage=None,
    )
    ca = CertPaths(cert=directory / "ca.pem", key=directory / "ca.key")
    _write_key(ca.key, ca_key)
    _write_cert(ca.cert, ca_cert)

    def leaf(cn: str, usage, sans: Sequence[str], stem: str) -> CertPaths:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(
            subject=_name(cn, org),
            issuer=ca_name,
            public_key=key.public_key(),
            signing_key=ca_key,
            days=days,
            ca=False,
            usage=usage,
            sans=sans,
        )
        paths = CertPaths(cert=directory / f"{stem}.pem", key=directory / f"{stem}.key")
        _write_key(paths.key, key)
        _write_cert(paths.cert, cert)
        return paths

    server = leaf(server_names[0], [ExtendedKeyUsageOID.SERVER_AUTH], server_names, "server")
    out = {c: leaf(c, [ExtendedKeyUsageOID.CLIENT_AUTH], (), f"client-{c}") for c in clients}
    return Pki(ca=ca, server=server, clients=out)


def read_cert(path: Path, what: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path} ({exc.strerror})") from None
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigError(f"{what}: {path} is not a PEM certificate") from None
    return data


def read_key(path: Path, what: str) -> bytes:
    """A PEM private key; refused when group or others may read it."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path} ({exc.strerror})") from None
    if mode & 0o077:
        raise ConfigError(
            f"{what}: {path} is readable by group/others (mode {mode:o}); chmod 600 it"
        )
    try:
        serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"{what}: {path} is not an unencrypted PEM private key") from None
    return data


def server_credentials(*, cert: Path, key: Path, client_ca: Path) -> grpc.ServerCredentials:
    """mTLS: the server presents ``cert``; clients need a certificate signed by ``client_ca``."""
    return grpc.ssl_server_credentials(
        [(read_key(key, "tls_key"), read_cert(cert, "tls_cert"))],
        root_certificates=read_cert(client_ca, "tls_client_ca"),
        require_client_auth=True,
    )


def channel_credentials(
    *, ca: Path, cert: Path | None = None, key: Path | None = None
) -> grpc.ChannelCredentials:
    """The client verifies the server against ``ca`` and presents ``cert``/``key`` when given."""
    if (cert is None) != (key is None):
        raise ConfigError("cloud_tls_cert and cloud_tls_key must be given together")
    return grpc.ssl_channel_credentials(
        root_certificates=read_cert(ca, "cloud_tls_ca"),
        private_key=read_key(key, "cloud_tls_key") if key else None,
        certificate_chain=read_cert(cert, "cloud_tls_cert") if cert else None,
    )


def require_tls13(context: grpc.aio.ServicerContext) -> None:
    """Refuse a call that arrived over TLS older than 1.3 (plain text is the settings' business).

    grpcio has no minimum-version setting, so the handshake itself may still complete at 1.2;
    the per-call check makes sure no RPC is served over it.
    """
    auth = context.auth_context() or {}
    if auth.get("transport_security_type") != [b"ssl"]:
        return
    version = (auth.get("ssl_tls_version") or [b"unknown"])[0].decode()
    if version != "TLSv1.3":
        raise PermissionDenied(f"this connection uses {version}; TLS 1.3 is required")


def peer_common_name(context: grpc.aio.ServicerContext) -> str | None:
    """The verified client certificate's CN, or None on a plain-text connection."""
    auth = context.auth_context() or {}
    names = auth.get("x509_common_name") or []
    return names[0].decode() if names else None
