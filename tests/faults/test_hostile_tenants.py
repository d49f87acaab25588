"""Hostile tenants at the real gateway (grpc.aio, mTLS, SmolLM2 in process): certificates
that are expired or not yet valid, token guessing (braked per client and logged), oversized
requests; each refused with its precise status while another tenant keeps being served.

No client certificate and a certificate from another CA are in tests/cloud/test_tls.py, wrong
and malformed tokens in tests/cloud/test_auth.py, the size limits in tests/cloud/test_limits.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from privsplit.cloud.auth import FailureLimiter
from privsplit.cloud.settings import CloudSettings
from privsplit.shared.errors import ResourceExhausted
from privsplit.shared.proto import CloudInferenceStub, cloud
from privsplit.shared.tls import Pki, init_pki
from tests.cloud.conftest import (
    OTHER_TOKEN,
    TOKEN,
    bearer,
    collect,
    mtls_channel,
    request,
    running,
    tenants,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return init_pki(
        tmp_path_factory.mktemp("pki"),
        server_names=["localhost", "127.0.0.1"],
        clients=["edge", "other"],
    )


def settings(pki: Pki, model: Path, **overrides) -> CloudSettings:
    return CloudSettings.load(
        None,
        port=0,
        backend="llamacpp",
        model=str(model),
        n_ctx=512,
        n_threads=1,
        tls_cert=pki.server.cert,
        tls_key=pki.server.key,
        tls_client_ca=pki.ca.cert,
        tenants=tenants(),
        **overrides,
    )


def client_cert(pki: Pki, root: Path, name: str, *, start: dt.datetime, end: dt.datetime) -> Pki:
    """A client certificate signed by the real CA with the given validity; as a Pki whose
    ``clients[name]`` is it (for ``mtls_channel``)."""
    ca_key = serialization.load_pem_private_key(pki.ca.key.read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate(pki.ca.cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    root.mkdir(parents=True, exist_ok=True)
    (root / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "c.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (root / "c.key").chmod(0o600)
    return Pki(
        ca=pki.ca, server=pki.server, clients={name: type(pki.ca)(root / "c.pem", root / "c.key")}
    )


async def _list_models(channel: grpc.aio.Channel, token: str = TOKEN):
    return await CloudInferenceStub(channel).ListModels(
        cloud.ListModelsRequest(), metadata=bearer(token), timeout=10
    )


async def _served(port: int, pki: Pki) -> None:
    """The well-behaved tenant: a real completion over its own certificate and token."""
    async with mtls_channel(port, pki, "edge") as channel:
        chunks = await collect(
            CloudInferenceStub(channel), request(max_tokens=2), metadata=bearer(), timeout=60
        )
    assert chunks[-1].usage.completion_tokens >= 1


async def test_expired_and_not_yet_valid_certificates(pki, test_model_path, tmp_path) -> None:
    now = dt.datetime.now(dt.UTC)
    cases = {
        "expired": (now - dt.timedelta(days=30), now - dt.timedelta(days=1)),
        "not-yet-valid": (now + dt.timedelta(days=1), now + dt.timedelta(days=30)),
    }
    async with running(settings(pki, test_model_path)) as gw:
        for label, (start, end) in cases.items():
            bad = client_cert(pki, tmp_path / label, "edge", start=start, end=end)
            async with mtls_channel(gw.port, bad, "edge") as channel:
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await _list_models(channel)
            # the handshake fails: no RPC ran (the same refusal as an unknown CA)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE, label
        await _served(gw.port, pki)


async def test_token_guessing_is_braked_per_client_and_logged(pki, test_model_path, caplog) -> None:
    handler = _Capture()
    logging.getLogger("privsplit.cloud.auth").addHandler(handler)
    try:
        async with running(settings(pki, test_model_path, auth_max_failures=5)) as gw:
            async with mtls_channel(gw.port, pki, "other") as guesser:
                for i in range(5):
                    with pytest.raises(grpc.aio.AioRpcError) as err:
                        await _list_models(guesser, f"psk_guess-{i}")
                    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
                # locked: refused before the token is looked at, even the right one
                for token in ("psk_guess-5", OTHER_TOKEN):
                    with pytest.raises(grpc.aio.AioRpcError) as err:
                        await _list_models(guesser, token)
                    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                    assert "too many failed authentications" in err.value.details()
                # meanwhile the other tenant (its own certificate) is served
                await _served(gw.port, pki)
    finally:
        logging.getLogger("privsplit.cloud.auth").removeHandler(handler)
    failed = [r for r in handler.records if r.getMessage() == "auth_failed"]
    assert [r.fields["failures"] for r in failed] == [1, 2, 3, 4, 5]
    assert all(r.fields["peer"].endswith("/other") for r in failed)  # the client, by its CN
    assert [r.getMessage() for r in handler.records].count("auth_locked") == 1
    assert not any("psk_" in str(r.fields) for r in handler.records)  # never the token


def test_the_lock_lifts_after_its_window() -> None:
    now = [0.0]
    limiter = FailureLimiter(max_failures=3, window_seconds=60, max_peers=2, clock=lambda: now[0])
    for _ in range(3):
        limiter.failed("ipv4:10.0.0.7/edge")
    with pytest.raises(ResourceExhausted):
        limiter.check("ipv4:10.0.0.7/edge")
    limiter.check("ipv4:10.0.0.8/edge")  # another client is not affected
    now[0] = 61
    limiter.check("ipv4:10.0.0.7/edge")  # the window passed
    for peer in ("a", "b", "c"):  # memory stays bounded: stale peers are forgotten
        limiter.failed(peer)
    assert len(limiter._failures) <= 3


async def test_oversized_requests_do_not_disturb_other_tenants(pki, test_model_path) -> None:
    async with running(settings(pki, test_model_path, max_request_bytes=4096)) as gw:
        async with mtls_channel(gw.port, pki, "edge") as channel:
            stub = CloudInferenceStub(channel)

            async def oversized(size: int) -> grpc.StatusCode:
                try:
                    await collect(stub, request("x" * size), metadata=bearer(), timeout=10)
                except grpc.aio.AioRpcError as err:
                    return err.code()
                return grpc.StatusCode.OK

            codes = await asyncio.gather(
                *(oversized(s) for s in (5_000, 200_000, 5_000, 200_000)),
                _served(gw.port, pki),
            )
        assert (
            codes[:4]
            == [
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
            ]
            * 2
        )


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
