"""`privsplit cloud serve` as a real process: graceful shutdown on SIGTERM, strict config."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import grpc
import pytest
import yaml

from privsplit.cloud.auth import hash_token
from privsplit.shared.proto import CloudInferenceStub, pb
from tests.cloud.conftest import TOKEN, bearer, collect, request
from tests.conftest import start_cli_server

pytestmark = pytest.mark.slow


def _config(tmp_path, model_server, **extra) -> str:
    data = {
        "backend": "openai",
        "insecure": True,
        "port": 0,
        "grace_seconds": 30,
        "openai": {"base_url": model_server.base_url},
        "tenants": [{"name": "acme", "token_sha256": hash_token(TOKEN)}],
        **extra,
    }
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


async def test_sigterm_lets_inflight_streams_finish(tmp_path, model_server) -> None:
    server = start_cli_server(
        ["cloud", "serve", "--config", _config(tmp_path, model_server)], tmp_path / "gw.log"
    )
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = CloudInferenceStub(channel)
            call = stub.Complete(
                request("Name three colours.", max_tokens=24), metadata=bearer(), timeout=60
            )
            first = await call.read()
            server.proc.send_signal(signal.SIGTERM)
            rest = []
            while (
                chunk := await call.read()
            ) is not grpc.aio.EOF:  # the in-flight stream runs to its end
                rest.append(chunk)
            assert first.text and rest
            assert rest[-1].finish_reason in (pb.FINISH_REASON_STOP, pb.FINISH_REASON_LENGTH)
            assert rest[-1].usage.completion_tokens >= 1
            answer = first.text + "".join(c.text for c in rest)
        async with grpc.aio.insecure_channel(server.address) as channel:  # nothing new is accepted
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await collect(CloudInferenceStub(channel), request(), metadata=bearer(), timeout=5)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert server.proc.wait(30) == 0
    finally:
        server.stop()
    log_text = "\n".join(server.log_lines())
    assert (
        "Name three colours" not in log_text and answer.strip() not in log_text
    )  # no text in logs
    records = [json.loads(line) for line in server.log_lines() if line.startswith("{")]
    done = [r for r in records if r["event"] in ("rpc_done", "completion_done")]
    assert done and all(r["tenant"] == "acme" and len(r["request_id"]) >= 16 for r in done)
    events = [
        r["event"] if r["event"] != "rpc_done" else f"rpc_done {r['method']} {r['code']}"
        for r in records
    ]
    # the stream was still in flight when shutdown began, and finished OK before the process stopped
    assert (
        events.index("cloud_shutting_down")
        < events.index("rpc_done Complete OK")
        < events.index("cloud_stopped")
    )


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({"max_queue": 0}, "invalid setting 'max_queue'"),
        ({"tenant": []}, "unknown setting 'tenant'"),
        ({"openai": {"base_url": "ftp://x"}}, "invalid setting 'openai.base_url'"),
        ({"insecure": False}, "tls_cert, tls_key, tls_client_ca"),
        (
            {"backend": "vllm-native"},
            "unknown backend 'vllm-native'; valid backends: llamacpp, openai",
        ),
    ],
)
def test_bad_config_stops_startup_naming_the_field(tmp_path, model_server, extra, expected) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "cloud",
            "serve",
            "--config",
            _config(tmp_path, model_server, **extra),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_env_overrides_config(tmp_path, model_server) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "cloud",
            "serve",
            "--config",
            _config(tmp_path, model_server),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "PRIVSPLIT_CLOUD_HOST": "0.0.0.0"},
    )
    assert proc.returncode == 2
    assert "only allowed on a loopback host" in proc.stderr
