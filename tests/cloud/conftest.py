"""Fixtures for the gateway tests: real certificates, a real OpenAI-compatible model server
(``python -m llama_cpp.server`` with SmolLM2 on loopback) and in-process gateways."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from privsplit.cloud.auth import hash_token
from privsplit.cloud.server import RunningServer, start_server
from privsplit.cloud.settings import CloudSettings
from privsplit.shared.proto import CloudInferenceStub, cloud, pb
from privsplit.shared.tls import Pki, init_pki

TOKEN = "psk_test-token-acme"
OTHER_TOKEN = "psk_test-token-bound"
# SmolLM2 answers this greedily up to any max_tokens tried (400): a stream that must still be
# running when the test acts uses it. A counting prompt can end after a few tokens and race.
LONG_ANSWER = "Write a long story about a dragon who lives in a castle."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ModelServer:
    proc: subprocess.Popen
    port: int
    model_path: Path
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def start_model_server(
    model_path: Path, log_path: Path, port: int | None = None, timeout: float = 90
) -> ModelServer:
    """llama-cpp-python's own OpenAI-compatible server, one thread, small context."""
    port = port or free_port()
    log = log_path.open("a")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model_path),
            "--model_alias",
            "smol",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "1024",
            "--n_threads",
            "1",
            "--verbose",
            "False",
            "--interrupt_requests",
            "False",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).read()
            return ModelServer(proc=proc, port=port, model_path=model_path, log_path=log_path)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise TimeoutError(f"llama_cpp.server did not come up:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def model_server(
    test_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModelServer]:
    server = start_model_server(test_model_path, tmp_path_factory.mktemp("llama") / "server.log")
    yield server
    server.proc.terminate()
    server.proc.wait(20)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return init_pki(
        tmp_path_factory.mktemp("pki"),
        server_names=["localhost", "127.0.0.1"],
        clients=["edge", "other"],
    )


@pytest.fixture(scope="session")
def rogue_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A second, unrelated CA with the same names: nothing it signs may be accepted."""
    return init_pki(
        tmp_path_factory.mktemp("rogue"), server_names=["localhost", "127.0.0.1"], clients=["edge"]
    )


def tenants(**overrides: Any) -> list[dict[str, Any]]:
    acme = {"name": "acme", "token_sha256": hash_token(TOKEN), **overrides}
    bound = {
        "name": "bound",
        "token_sha256": hash_token(OTHER_TOKEN),
        "client_names": ["other"],
        "models": ["some-other-model"],
    }
    return [acme, bound]


def tls_settings(pki: Pki, model_server: ModelServer, **overrides: Any) -> CloudSettings:
    base: dict[str, Any] = dict(
        port=0,
        backend="openai",
        openai={"base_url": model_server.base_url},
        tls_cert=pki.server.cert,
        tls_key=pki.server.key,
        tls_client_ca=pki.ca.cert,
        tenants=tenants(),
    )
    base.update(overrides)
    return CloudSettings.load(None, **base)


def plain_settings(model_server: ModelServer, **overrides: Any) -> CloudSettings:
    base: dict[str, Any] = dict(
        port=0,
        backend="openai",
        insecure=True,
        openai={"base_url": model_server.base_url},
        tenants=tenants(),
    )
    base.update(overrides)
    return CloudSettings.load(None, **base)


@contextlib.asynccontextmanager
async def running(settings: CloudSettings) -> AsyncIterator[RunningServer]:
    server = await start_server(settings)
    try:
        yield server
    finally:
        await server.stop(0)


def mtls_channel(
    port: int, pki: Pki, client: str = "edge", *, ca: Path | None = None, with_cert: bool = True
) -> grpc.aio.Channel:
    cert = pki.clients[client]
    creds = grpc.ssl_channel_credentials(
        root_certificates=(ca or pki.ca.cert).read_bytes(),
        private_key=cert.key.read_bytes() if with_cert else None,
        certificate_chain=cert.cert.read_bytes() if with_cert else None,
    )
    return grpc.aio.secure_channel(f"localhost:{port}", creds)


def bearer(token: str = TOKEN) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def request(content: str = "Say hello.", max_tokens: int = 4, **kw: Any) -> Any:
    return cloud.CompleteRequest(
        messages=[pb.ChatMessage(role=pb.ROLE_USER, content=content)],
        params=pb.GenerationParams(max_tokens=max_tokens, temperature=0.0),
        **kw,
    )


async def collect(stub: CloudInferenceStub, req: Any, **kw: Any) -> list[Any]:
    return [c async for c in stub.Complete(req, **kw)]


def error_name(err: grpc.aio.AioRpcError) -> str:
    return dict(err.trailing_metadata() or ()).get("privsplit-error", "")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # grpc and httpx must talk to loopback directly
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
