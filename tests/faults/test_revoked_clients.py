"""Revoked clients at the real gateway (grpc.aio, mTLS, SmolLM2 in process): a client whose
certificate is on the fingerprint deny list or in the CA's CRL is refused UNAUTHENTICATED
before its token is looked at, logged by CN and fingerprint prefix (never a token), and does
not count as a token guess; other tenants keep being served. A CRL change takes effect
without a restart; a CRL not signed by the client CA stops the gateway from starting."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from privsplit.cloud.server import start_server
from privsplit.shared.errors import ConfigError
from privsplit.shared.tls import CertPaths, Pki, init_pki
from tests.cloud.conftest import TOKEN, mtls_channel, running
from tests.faults.test_hostile_tenants import _Capture, _list_models, _served, settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return init_pki(
        tmp_path_factory.mktemp("pki"),
        server_names=["localhost", "127.0.0.1"],
        clients=["edge", "gone"],
    )


def _cert(paths: CertPaths) -> x509.Certificate:
    return x509.load_pem_x509_certificate(paths.cert.read_bytes())


def write_crl(ca: CertPaths, path: Path, revoked: list[CertPaths]) -> Path:
    """A CRL signed by ``ca`` listing ``revoked``'s serial numbers (PEM)."""
    ca_cert = _cert(ca)
    key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=7))
    )
    for paths in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(_cert(paths).serial_number)
            .revocation_date(now)
            .build()
        )
    path.write_bytes(builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    return path


async def _code(port: int, pki: Pki, client: str, token: str = TOKEN) -> grpc.StatusCode:
    async with mtls_channel(port, pki, client) as channel:
        try:
            await _list_models(channel, token)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.UNAUTHENTICATED:
                assert err.details() == "this client certificate is revoked"
            return err.code()
    return grpc.StatusCode.OK


async def test_fingerprint_deny_list(pki, test_model_path) -> None:
    # the form openssl prints: upper case with colons
    fp = _cert(pki.clients["gone"]).fingerprint(hashes.SHA256()).hex()
    printed = ":".join(fp[i : i + 2] for i in range(0, 64, 2)).upper()
    handler = _Capture()
    logging.getLogger("privsplit.cloud.auth").addHandler(handler)
    try:
        gw_settings = settings(
            pki, test_model_path, revoked_client_fingerprints=[printed], auth_max_failures=3
        )
        async with running(gw_settings) as gw:
            # more attempts than the guessing brake allows: revocation is not a guess, and
            # even the right token does not help
            for _ in range(5):
                assert await _code(gw.port, pki, "gone") == grpc.StatusCode.UNAUTHENTICATED
            assert await _code(gw.port, pki, "edge") == grpc.StatusCode.OK
            await _served(gw.port, pki)
    finally:
        logging.getLogger("privsplit.cloud.auth").removeHandler(handler)
    refused = [r for r in handler.records if r.getMessage() == "auth_refused_revoked"]
    assert len(refused) == 5
    assert {r.fields["cn"] for r in refused} == {"gone"}
    assert {r.fields["fingerprint"] for r in refused} == {fp[:16]}
    assert not [r for r in handler.records if r.getMessage() in ("auth_failed", "auth_locked")]
    assert not any("psk_" in str(r.fields) or fp in str(r.fields) for r in handler.records)


async def test_crl_revokes_without_a_restart(pki, test_model_path, tmp_path) -> None:
    crl = write_crl(pki.ca, tmp_path / "clients.crl", [])
    async with running(settings(pki, test_model_path, tls_client_crl=crl)) as gw:
        assert await _code(gw.port, pki, "gone") == grpc.StatusCode.OK
        write_crl(pki.ca, crl, [pki.clients["gone"]])
        os.utime(crl, ns=(0, os.stat(crl).st_mtime_ns + 1_000_000))  # a new mtime, surely
        assert await _code(gw.port, pki, "gone") == grpc.StatusCode.UNAUTHENTICATED
        assert await _code(gw.port, pki, "edge") == grpc.StatusCode.OK
        # a CRL that turns unreadable keeps the last good one in force
        crl.write_bytes(b"not a crl")
        assert await _code(gw.port, pki, "gone") == grpc.StatusCode.UNAUTHENTICATED
        await _served(gw.port, pki)


async def test_crl_from_another_ca_is_refused_at_start(pki, test_model_path, tmp_path) -> None:
    rogue = init_pki(tmp_path / "rogue", server_names=["localhost"], clients=["x"])
    crl = write_crl(rogue.ca, tmp_path / "rogue.crl", [])
    with pytest.raises(ConfigError, match="not signed by the client CA"):
        await start_server(settings(pki, test_model_path, tls_client_crl=crl))


def test_fingerprint_setting_is_validated(pki, test_model_path) -> None:
    with pytest.raises(ConfigError, match="SHA-256 fingerprint"):
        settings(pki, test_model_path, revoked_client_fingerprints=["abc"])
