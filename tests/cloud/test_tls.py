"""mTLS is required: certificates from `certs init`, clients without a certificate or with one
from another CA are refused, keys are private, plain text only on loopback."""

from __future__ import annotations

import asyncio
import socket
import ssl
import stat
import urllib.parse

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from privsplit.cloud.settings import CloudSettings
from privsplit.shared.errors import ConfigError
from privsplit.shared.proto import CloudInferenceStub, cloud
from privsplit.shared.tls import init_pki, read_key, server_credentials
from tests.cloud.conftest import (
    TOKEN,
    bearer,
    collect,
    mtls_channel,
    request,
    running,
    tls_settings,
)

pytestmark = pytest.mark.slow


def test_certs_init_writes_private_keys_and_refuses_to_overwrite(tmp_path) -> None:
    pki = init_pki(tmp_path, server_names=["gw.example", "10.0.0.5"], clients=["edge-1"])
    for key in (pki.ca.key, pki.server.key, pki.clients["edge-1"].key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    from cryptography import x509

    server = x509.load_pem_x509_certificate(pki.server.cert.read_bytes())
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["gw.example"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        init_pki(tmp_path, server_names=["gw.example"], clients=["edge-1"])


def test_key_readable_by_others_is_refused(tmp_path) -> None:
    pki = init_pki(tmp_path, server_names=["localhost"], clients=["edge"])
    pki.server.key.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by group/others"):
        read_key(pki.server.key, "tls_key")
    with pytest.raises(ConfigError, match="readable by group/others"):
        server_credentials(cert=pki.server.cert, key=pki.server.key, client_ca=pki.ca.cert)


def test_certs_init_cli(tmp_path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "certs",
            "init",
            "--dir",
            str(tmp_path),
            "--server-name",
            "gw.internal",
            "--client",
            "laptop",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((tmp_path / "client-laptop.key").stat().st_mode) == 0o600
    again = subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", "certs", "init", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"insecure": True, "host": "0.0.0.0"}, "loopback"),
        ({"tls_cert": None}, "tls_cert"),
        ({"tenants": []}, "tenants"),
    ],
)
def test_unsafe_listening_is_refused(pki, model_server, overrides, field) -> None:
    with pytest.raises(ConfigError, match=field):
        tls_settings(pki, model_server, **overrides)


async def test_client_with_certificate_and_token_is_served(pki, model_server) -> None:
    async with running(tls_settings(pki, model_server)) as gw:
        async with mtls_channel(gw.port, pki) as channel:
            stub = CloudInferenceStub(channel)
            models = await stub.ListModels(cloud.ListModelsRequest(), metadata=bearer(), timeout=10)
            assert [m.name for m in models.models] == ["smol"]
            chunks = await collect(stub, request(max_tokens=3), metadata=bearer(), timeout=60)
            assert "".join(c.text for c in chunks)
            assert chunks[-1].usage.completion_tokens >= 1
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            services = await _reflected_services(channel)
            assert {"privsplit.v1.CloudInference", "grpc.health.v1.Health"} <= services


@pytest.mark.parametrize("case", ["no client certificate", "client certificate from another CA"])
async def test_client_without_valid_certificate_is_refused(
    pki, rogue_pki, model_server, case
) -> None:
    async with running(tls_settings(pki, model_server)) as gw:
        if case == "no client certificate":
            channel = mtls_channel(gw.port, pki, with_cert=False)
        else:  # trusts the right server CA, but presents a certificate the server's CA never signed
            channel = mtls_channel(gw.port, rogue_pki, ca=pki.ca.cert)
        async with channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await CloudInferenceStub(channel).ListModels(
                    cloud.ListModelsRequest(), metadata=bearer(), timeout=5
                )
            assert (
                err.value.code() == grpc.StatusCode.UNAVAILABLE
            )  # the handshake failed; no RPC ran


async def test_server_from_another_ca_is_not_trusted_by_the_client(
    pki, rogue_pki, model_server
) -> None:
    async with running(tls_settings(pki, model_server)) as gw:
        async with mtls_channel(gw.port, pki, ca=rogue_pki.ca.cert) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await CloudInferenceStub(channel).ListModels(
                    cloud.ListModelsRequest(), metadata=bearer(), timeout=5
                )
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE


async def _reflected_services(channel: grpc.aio.Channel) -> set[str]:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    async for reply in call:
        return {s.name for s in reply.list_services_response.service}
    return set()


def _handshake(port: int, pki, maximum: ssl.TLSVersion | None = None) -> str:
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    ctx.load_cert_chain(pki.clients["edge"].cert, pki.clients["edge"].key)
    ctx.set_alpn_protocols(["h2"])
    if maximum is not None:
        ctx.maximum_version = maximum
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.version() or ""


def _raw_grpc_call(port: int, pki, maximum: ssl.TLSVersion | None) -> tuple[str, dict[str, str]]:
    """One ListModels call by hand (h2 over ssl), so the TLS version can be forced."""
    import h2.config
    import h2.connection
    import h2.events

    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    ctx.load_cert_chain(pki.clients["edge"].cert, pki.clients["edge"].key)
    ctx.set_alpn_protocols(["h2"])
    if maximum is not None:
        ctx.maximum_version = maximum
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
    )
    headers: dict[str, str] = {}
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            conn.initiate_connection()
            conn.send_headers(
                1,
                [
                    (":method", "POST"),
                    (":scheme", "https"),
                    (":authority", "localhost"),
                    (":path", "/privsplit.v1.CloudInference/ListModels"),
                    ("content-type", "application/grpc"),
                    ("te", "trailers"),
                    ("authorization", f"Bearer {TOKEN}"),
                ],
            )
            conn.send_data(1, b"\x00\x00\x00\x00\x00", end_stream=True)  # empty ListModelsRequest
            tls.sendall(conn.data_to_send())
            done = False
            while not done:
                data = tls.recv(65536)
                if not data:
                    break
                for event in conn.receive_data(data):
                    if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                        headers.update(dict(event.headers))
                    if isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    if isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                        done = True
                tls.sendall(conn.data_to_send())
            return tls.version() or "", headers


async def test_tls13_is_negotiated_and_tls12_calls_are_refused(pki, model_server) -> None:
    async with running(tls_settings(pki, model_server)) as gw:
        assert await asyncio.to_thread(_handshake, gw.port, pki) == "TLSv1.3"
        version, headers = await asyncio.to_thread(_raw_grpc_call, gw.port, pki, None)
        assert (version, headers.get("grpc-status")) == ("TLSv1.3", "0")  # the hand-made call works
        version, headers = await asyncio.to_thread(
            _raw_grpc_call, gw.port, pki, ssl.TLSVersion.TLSv1_2
        )
        assert version == "TLSv1.2"  # grpcio cannot refuse the handshake ...
        assert headers.get("grpc-status") == str(
            grpc.StatusCode.PERMISSION_DENIED.value[0]
        )  # ... the call is
        assert "TLS 1.3 is required" in urllib.parse.unquote(headers.get("grpc-message", ""))


def test_settings_reject_plain_text_with_loopback_only(model_server) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        CloudSettings.load(None, insecure=True, host="192.168.1.10", backend="openai")
    assert CloudSettings.load(None, insecure=True, host="::1", backend="openai").insecure


async def test_health_cli_over_mtls(pki, model_server) -> None:
    import sys

    async with running(tls_settings(pki, model_server)) as gw:

        async def health(*extra: str) -> tuple[int, str]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "privsplit.cli.main",
                "cloud",
                "health",
                "--address",
                f"localhost:{gw.port}",
                "--tls-ca",
                str(pki.ca.cert),
                *extra,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await proc.communicate()
            return proc.returncode, (out + err).decode()

        code, out = await health(
            "--tls-cert", str(pki.clients["edge"].cert), "--tls-key", str(pki.clients["edge"].key)
        )
        assert code == 0 and "SERVING" in out
        code, out = await health()  # no client certificate: the handshake is refused
        assert code == 1 and "not serving: UNAVAILABLE" in out
