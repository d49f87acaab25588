"""Per-tenant bearer tokens on top of mTLS: missing, wrong, malformed, bound to a certificate,
restricted to models. Refusals carry precise codes and never echo the request."""

from __future__ import annotations

import hashlib

import grpc
import pytest

from privsplit.cloud.auth import Authenticator, hash_token
from privsplit.cloud.settings import TenantConfig
from privsplit.edge.cloud_client import CloudClient
from privsplit.shared.errors import ConfigError, PermissionDenied, Unauthenticated
from privsplit.shared.proto import CloudInferenceStub
from privsplit.shared.tls import channel_credentials
from privsplit.shared.types import CompletionRequest, GenerationParams, Message
from tests.cloud.conftest import (
    OTHER_TOKEN,
    TOKEN,
    bearer,
    collect,
    error_name,
    mtls_channel,
    request,
    running,
    tls_settings,
)

pytestmark = pytest.mark.slow
SECRET_PROMPT = "zebra-violet-4411 is the code word"


@pytest.mark.parametrize(
    "metadata, code, message",
    [
        ((), grpc.StatusCode.UNAUTHENTICATED, "missing bearer token"),
        (bearer("psk_wrong"), grpc.StatusCode.UNAUTHENTICATED, "invalid bearer token"),
        (
            (("authorization", f"Basic {TOKEN}"),),
            grpc.StatusCode.UNAUTHENTICATED,
            "must be 'Bearer <token>'",
        ),
        # right token, but the tenant only accepts the client certificate named "other"
        (bearer(OTHER_TOKEN), grpc.StatusCode.PERMISSION_DENIED, "client certificate may not use"),
    ],
)
async def test_token_checks(pki, model_server, metadata, code, message) -> None:
    async with running(tls_settings(pki, model_server)) as gw:
        async with mtls_channel(gw.port, pki, "edge") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await collect(
                    CloudInferenceStub(channel),
                    request(SECRET_PROMPT),
                    metadata=metadata,
                    timeout=10,
                )
    assert err.value.code() == code
    assert message in err.value.details()
    assert SECRET_PROMPT not in err.value.details()


async def test_tenant_restricted_to_other_models_is_denied(pki, model_server) -> None:
    async with running(tls_settings(pki, model_server)) as gw:
        async with mtls_channel(
            gw.port, pki, "other"
        ) as channel:  # the certificate "bound" accepts
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await collect(
                    CloudInferenceStub(channel), request(), metadata=bearer(OTHER_TOKEN), timeout=10
                )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_name(err.value) == "PermissionDenied"
    assert "may not use model 'smol'" in err.value.details()


def test_tokens_are_stored_hashed_and_compared_by_digest() -> None:
    tenant = TenantConfig(name="t", token_sha256=hash_token("psk_abc"))
    assert tenant.token_sha256 == hashlib.sha256(b"psk_abc").hexdigest()
    auth = Authenticator(tenants=[tenant])
    assert auth.authenticate("psk_abc", None) is tenant
    with pytest.raises(Unauthenticated):
        auth.authenticate("psk_abd", None)
    with pytest.raises(Unauthenticated):
        auth.authenticate(tenant.token_sha256, None)  # the stored digest is not a credential
    bound = TenantConfig(name="b", token_sha256=hash_token("psk_b"), client_names=["edge"])
    with pytest.raises(PermissionDenied):
        Authenticator(tenants=[bound]).authenticate("psk_b", None)


def test_raw_token_in_config_is_refused() -> None:
    from privsplit.cloud.settings import CloudSettings

    with pytest.raises(ConfigError, match=r"tenants\.0\.token_sha256"):
        CloudSettings.load(
            None, insecure=True, backend="openai", tenants=[{"name": "a", "token_sha256": TOKEN}]
        )


async def test_edge_client_from_settings_uses_mtls_and_token_file(
    pki, model_server, tmp_path
) -> None:
    from privsplit.edge.settings import EdgeSettings

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    async with running(tls_settings(pki, model_server)) as gw:
        settings = EdgeSettings.load(
            cloud_address=f"localhost:{gw.port}",
            cloud_tls_ca=pki.ca.cert,
            cloud_tls_cert=pki.clients["edge"].cert,
            cloud_tls_key=pki.clients["edge"].key,
            cloud_token_file=token_file,
        )
        client = CloudClient.from_settings(settings.cloud)
        try:
            text, usage = await client.complete(
                CompletionRequest(
                    messages=(Message(role="user", content="Say hi."),),
                    params=GenerationParams(max_tokens=3),
                )
            )
            assert text and usage.completion_tokens >= 1
            assert await client.list_models() == ["smol"]
        finally:
            await client.close()
        # the same client without the token is refused with the typed error
        anonymous = CloudClient(
            address=f"localhost:{gw.port}",
            credentials=channel_credentials(
                ca=pki.ca.cert, cert=pki.clients["edge"].cert, key=pki.clients["edge"].key
            ),
        )
        try:
            with pytest.raises(Unauthenticated):
                await anonymous.list_models()
        finally:
            await anonymous.close()
    token_file.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by group/others"):
        CloudClient.from_settings(settings.cloud)


def test_edge_refuses_plain_text_to_a_remote_cloud() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        CloudClient(address="cloud.example:443", insecure=True)
    with pytest.raises(ConfigError, match="TLS credentials are required"):
        CloudClient(address="cloud.example:443")
