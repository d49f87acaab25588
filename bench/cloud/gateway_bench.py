"""Gateway overhead benchmark: N concurrent streams through the gateway (grpc.aio, mTLS +
token) vs. the same requests sent directly to the same OpenAI-compatible backend, in the
same run, alternating rounds; then the memory cost of idle open streams.

    .venv/bin/python bench/cloud/gateway_bench.py --streams 64 --requests-per-stream 2 --rounds 3

By default it starts `python -m llama_cpp.server` with the SmolLM2 test model on loopback and
`privsplit cloud serve --backend openai` in front of it (separate processes). The idle-stream
probe freezes the backend (SIGSTOP) so every stream is open and silent, reads the gateway's
RSS before and after opening them, then resumes the backend.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import yaml

from privsplit.cloud.auth import hash_token
from privsplit.shared.models import ModelStore
from privsplit.shared.proto import CloudInferenceStub, cloud, pb
from privsplit.shared.settings import PrivsplitSettings
from privsplit.shared.tls import init_pki

PROMPT = "Reply with one short greeting."
TOKEN = "psk_bench-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early: {proc.args}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def wait_log(path: Path, event: str, proc: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited early:\n{path.read_text()}")
        for line in path.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("event") == event:
                return json.loads(line)
        time.sleep(0.1)
    raise TimeoutError(event)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@dataclass
class Sample:
    latency: list[float] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    tokens: int = 0
    errors: int = 0
    wall: float = 0.0


async def direct_one(client: httpx.AsyncClient, model: str, max_tokens: int, out: Sample) -> None:
    body = {
        "model": model,
        "stream": True,
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "top_p": 1.0,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": PROMPT}],
    }
    start = time.perf_counter()
    first = None
    try:
        async with client.stream("POST", "/chat/completions", json=body) as resp:
            if resp.status_code != 200:
                raise RuntimeError(resp.status_code)
            async for line in resp.aiter_lines():
                if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                    continue
                for choice in json.loads(line[5:]).get("choices") or ():
                    if (choice.get("delta") or {}).get("content"):
                        first = first or time.perf_counter()
                        out.tokens += 1
    except Exception:
        out.errors += 1
        return
    out.latency.append(time.perf_counter() - start)
    out.ttft.append((first or time.perf_counter()) - start)


async def gateway_one(stub: CloudInferenceStub, max_tokens: int, out: Sample) -> None:
    req = cloud.CompleteRequest(
        messages=[pb.ChatMessage(role=pb.ROLE_USER, content=PROMPT)],
        params=pb.GenerationParams(max_tokens=max_tokens, temperature=0.0),
    )
    start = time.perf_counter()
    first = None
    try:
        async for chunk in stub.Complete(
            req, metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=600
        ):
            if chunk.text:
                first = first or time.perf_counter()
            if chunk.HasField("usage"):
                out.tokens += chunk.usage.completion_tokens
    except grpc.aio.AioRpcError:
        out.errors += 1
        return
    out.latency.append(time.perf_counter() - start)
    out.ttft.append((first or time.perf_counter()) - start)


async def run_load(one, streams: int, per_stream: int, out: Sample) -> None:
    async def worker() -> None:
        for _ in range(per_stream):
            await one(out)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(streams)))
    out.wall += time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000
        if len(values) > 1
        else values[0] * 1000
    )


def rate(s: Sample) -> float:
    return len(s.latency) / s.wall


def row(name: str, s: Sample) -> str:
    n = len(s.latency)
    return (
        f"| {name:<8} | {n:>5} | {s.errors:>6} | {n / s.wall:>8.2f} | {s.tokens / s.wall:>7.1f} | "
        f"{pct(s.latency, 50):>8.1f} | {pct(s.latency, 95):>8.1f} | {pct(s.latency, 99):>8.1f} | "
        f"{pct(s.ttft, 50):>8.1f} | {pct(s.ttft, 95):>8.1f} |"
    )


async def idle_streams(
    stub: CloudInferenceStub, gateway_pid: int, backend: subprocess.Popen, n: int
) -> tuple[int, int]:
    req = cloud.CompleteRequest(
        messages=[pb.ChatMessage(role=pb.ROLE_USER, content=PROMPT)],
        params=pb.GenerationParams(max_tokens=1),
    )
    md = (("authorization", f"Bearer {TOKEN}"),)
    backend.send_signal(signal.SIGSTOP)  # every request the gateway forwards now hangs, silent
    try:
        await asyncio.sleep(0.5)
        before = rss_kib(gateway_pid)
        calls = [stub.Complete(req, metadata=md, timeout=600) for _ in range(n)]
        waits = [asyncio.ensure_future(c.initial_metadata()) for c in calls]
        await asyncio.gather(*waits)  # the gateway has accepted every stream
        await asyncio.sleep(2.0)  # and forwarded each to the (frozen) backend
        after = rss_kib(gateway_pid)
        for c in calls:
            c.cancel()
    finally:
        backend.send_signal(signal.SIGCONT)
    return before, after


async def main_async(
    args: argparse.Namespace,
    gw_port: int,
    gw_pid: int,
    pki,
    base_url: str,
    model: str,
    backend: subprocess.Popen | None,
) -> None:
    limits = httpx.Limits(
        max_connections=args.streams * 2, max_keepalive_connections=args.streams * 2
    )
    async with (
        gateway_channel(gw_port, pki) as channel,
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=600) as http,
    ):
        stub = CloudInferenceStub(channel)
        warm_d, warm_g = Sample(), Sample()
        await run_load(lambda o: direct_one(http, model, args.max_tokens, o), 4, 2, warm_d)
        await run_load(lambda o: gateway_one(stub, args.max_tokens, o), 4, 2, warm_g)
        levels = [(args.streams, args.requests_per_stream)]
        if args.single_stream_requests:
            levels.insert(0, (1, args.single_stream_requests))
        print(
            f"\nbackend: {args.backend_desc}; "
            "gateway: privsplit cloud serve --backend openai, mTLS + token, "
            f"separate process; max_tokens={args.max_tokens}; rounds={args.rounds} "
            "(direct and gateway alternate)"
        )
        for streams, per_stream in levels:
            direct, gateway = Sample(), Sample()
            for _ in range(args.rounds):
                await run_load(
                    lambda o: direct_one(http, model, args.max_tokens, o),
                    streams,
                    per_stream,
                    direct,
                )
                await run_load(
                    lambda o: gateway_one(stub, args.max_tokens, o), streams, per_stream, gateway
                )
            print(f"\n{streams} concurrent stream(s), {per_stream} request(s) each per round")
            print(
                "| path     |  reqs | errors |    req/s |   tok/s |  p50 ms  |  p95 ms  |  p99 ms  "
                "| TTFT p50 | TTFT p95 |"
            )
            print(
                "|----------|-------|--------|----------|---------|----------|----------|----------"
                "|----------|----------|"
            )
            print(row("direct", direct))
            print(row("gateway", gateway))
            p50 = pct(gateway.latency, 50) / pct(direct.latency, 50)
            print(
                f"gateway/direct p50 latency ratio: {p50:.3f} ({(p50 - 1) * 100:+.1f}%); "
                f"TTFT p50 difference: {pct(gateway.ttft, 50) - pct(direct.ttft, 50):+.1f} ms; "
                f"throughput ratio: {rate(gateway) / rate(direct):.3f}; "
                f"errors: direct {direct.errors}, gateway {gateway.errors}"
            )
        if backend is not None and args.idle_streams:
            before, after = await idle_streams(stub, gw_pid, backend, args.idle_streams)
            print(
                f"\nidle open streams: {args.idle_streams}; "
                f"gateway RSS {before} KiB -> {after} KiB; "
                f"{(after - before) / args.idle_streams:.1f} KiB per idle open stream "
                f"(incl. its pooled HTTP connection to the backend)"
            )


def start_llama_server(
    model: str, threads: int, tmp: Path, env: dict[str, str]
) -> tuple[subprocess.Popen, str]:
    """`python -m llama_cpp.server` with a registered GGUF on loopback; (process, base URL)."""
    path = ModelStore(root=PrivsplitSettings().models_dir).path(model)
    port = free_port()
    backend = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--model_alias",
            "bench",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "1024",
            "--n_threads",
            str(threads),
            "--verbose",
            "False",
            "--interrupt_requests",
            "False",
        ],
        stdout=(tmp / "llama.log").open("w"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_http(base_url + "/models", backend)
    except BaseException:
        backend.kill()
        raise
    return backend, base_url


def start_gateway(tmp: Path, base_url: str, env: dict[str, str], **settings: object):
    """`privsplit cloud serve --backend openai` (mTLS, one tenant without limits) in front of
    ``base_url``, as its own process, with ``settings`` added to its config file;
    (process, port, pki with client "bench")."""
    model = json.loads(urllib.request.urlopen(base_url + "/models").read())["data"][0]["id"]
    pki = init_pki(tmp / "pki", server_names=["localhost"], clients=["bench"])
    config = {
        "backend": "openai",
        "port": 0,
        "host": "127.0.0.1",
        "log_level": "WARNING",
        "openai": {"base_url": base_url, "model": model, "max_connections": 1024},
        "tls_cert": str(pki.server.cert),
        "tls_key": str(pki.server.key),
        "tls_client_ca": str(pki.ca.cert),
        "max_queue": 4096,
        "tenants": [
            {
                "name": "bench",
                "token_sha256": hash_token(TOKEN),
                "rate_per_second": 1e6,
                "burst": 100000,
                "max_streams": 100000,
            }
        ],
        **settings,
    }
    (tmp / "cloud.yaml").write_text(yaml.safe_dump(config))
    log = tmp / "gateway.log"
    gw = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "cloud",
            "serve",
            "--config",
            str(tmp / "cloud.yaml"),
            "--port",
            "0",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**env, "PRIVSPLIT_CLOUD_LOG_LEVEL": "INFO"},
    )
    try:
        port = int(wait_log(log, "cloud_listening", gw)["port"])
    except BaseException:
        gw.kill()
        raise
    return gw, port, pki


def gateway_channel(port: int, pki) -> grpc.aio.Channel:
    creds = grpc.ssl_channel_credentials(
        pki.ca.cert.read_bytes(),
        pki.clients["bench"].key.read_bytes(),
        pki.clients["bench"].cert.read_bytes(),
    )
    return grpc.aio.secure_channel(f"localhost:{port}", creds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--streams", type=int, default=64)
    ap.add_argument("--requests-per-stream", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=4)
    ap.add_argument(
        "--model", default="smollm2-135m-instruct-q4_1", help="registered GGUF for llama_cpp.server"
    )
    ap.add_argument(
        "--base-url", default="", help="use this OpenAI-compatible server instead of starting one"
    )
    ap.add_argument("--backend-threads", type=int, default=1)
    ap.add_argument("--idle-streams", type=int, default=500)
    ap.add_argument(
        "--single-stream-requests",
        type=int,
        default=20,
        help="also compare one stream at a time (per-request overhead without queueing); 0 skips",
    )
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    tmp = Path(tempfile.mkdtemp(prefix="privsplit-bench-"))
    procs: list[subprocess.Popen] = []
    backend = None
    try:
        if args.base_url:
            base_url, args.backend_desc = args.base_url.rstrip("/"), f"external {args.base_url}"
        else:
            backend, base_url = start_llama_server(args.model, args.backend_threads, tmp, env)
            procs.append(backend)
            args.backend_desc = (
                f"llama-cpp-python 0.3.36 llama_cpp.server, {args.model} "
                f"(n_threads={args.backend_threads}), loopback"
            )
        model = json.loads(urllib.request.urlopen(base_url + "/models").read())["data"][0]["id"]
        gw, gw_port, pki = start_gateway(tmp, base_url, env)
        procs.append(gw)
        asyncio.run(main_async(args, gw_port, gw.pid, pki, base_url, model, backend))
    finally:
        stop_processes(procs)


def stop_processes(procs: list[subprocess.Popen]) -> None:
    """Stop what a bench started, newest first (SIGTERM, then SIGKILL after 20 s)."""
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


if __name__ == "__main__":
    main()
