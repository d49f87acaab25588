"""Thousands of idle connections at the gateway: does another tenant still get served, and
how soon does the gateway close them?

    .venv/bin/python bench/cloud/idle_connections.py --tcp 2000 --tls 200

The gateway runs as its own process (mTLS + token, openai backend = llama_cpp.server with
SmolLM2, handshake_timeout_seconds and connection_idle_seconds as given). The bench opens
``--tcp`` plain TCP sockets that never start TLS and ``--tls`` connections that finish the TLS
handshake with a valid client certificate and then send nothing, times a few real
completions of another client while they are open, then waits for the gateway to close
every socket and reads its VmRSS before, while open and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_bench import (  # noqa: E402
    Sample,
    gateway_channel,
    gateway_one,
    rss_kib,
    start_gateway,
    start_llama_server,
    stop_processes,
)

from privsplit.shared.proto import CloudInferenceStub  # noqa: E402


async def closed_after(reader: asyncio.StreamReader, started: float, limit: float) -> float:
    """Seconds from ``started`` until the peer closes (EOF or reset); inf past ``limit``."""

    async def drain() -> None:
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, ssl.SSLError):
            pass

    try:
        await asyncio.wait_for(drain(), limit)
    except TimeoutError:
        return float("inf")
    return time.monotonic() - started


async def run(args: argparse.Namespace, port: int, pid: int, pki) -> None:
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    ctx.load_cert_chain(str(pki.clients["bench"].cert), str(pki.clients["bench"].key))
    ctx.set_alpn_protocols(["h2"])
    async with gateway_channel(port, pki) as channel:
        stub = CloudInferenceStub(channel)
        baseline = Sample()
        for _ in range(args.requests):
            await gateway_one(stub, 2, baseline)
        print(
            f"\n{args.tcp} silent TCP + {args.tls} silent TLS connections to the gateway per round "
            f"(handshake_timeout_seconds={args.handshake_timeout:g}, "
            f"connection_idle_seconds={args.idle_timeout:g}); another tenant's p50 with none "
            f"open: {statistics.median(baseline.latency) * 1000:.0f} ms\n"
        )
        print(
            "| round | opened in s | another tenant p50 ms (all open) | errors | TCP closed by "
            "(p50 / max s) | TLS closed by (p50 / max s) | never closed | gateway RSS before / "
            "open / after |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for round_ in range(1, args.rounds + 1):
            await one_round(args, round_, port, pid, ctx, stub)


async def one_round(args, round_: int, port: int, pid: int, ctx, stub) -> None:
    rss_before = rss_kib(pid)
    started = time.monotonic()
    tcp = [await asyncio.open_connection("127.0.0.1", port) for _ in range(args.tcp)]
    tls = [
        await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
        for _ in range(args.tls)
    ]
    opened_in = time.monotonic() - started
    rss_open = rss_kib(pid)
    loaded = Sample()
    for _ in range(args.requests):
        await gateway_one(stub, 2, loaded)
    limit = max(args.handshake_timeout, args.idle_timeout) * 3 + 10
    waits = await asyncio.gather(*(closed_after(r, started, limit) for r, _ in tcp + tls))
    for _, w in tcp + tls:
        w.close()
    await asyncio.sleep(1)
    rss_after = rss_kib(pid)
    tcp_w, tls_w = waits[: args.tcp], waits[args.tcp :]
    never = sum(1 for w in waits if w == float("inf"))
    print(
        f"| {round_} | {opened_in:.1f} | {statistics.median(loaded.latency) * 1000:.0f} | "
        f"{loaded.errors} | {statistics.median(tcp_w):.1f} / {max(tcp_w):.1f} | "
        f"{statistics.median(tls_w):.1f} / {max(tls_w):.1f} | {never} | "
        f"{rss_before / 1024:.0f} / {rss_open / 1024:.0f} / {rss_after / 1024:.0f} MiB |",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcp", type=int, default=2000)
    ap.add_argument("--tls", type=int, default=200)
    ap.add_argument("--requests", type=int, default=5, help="the other tenant's completions")
    ap.add_argument("--rounds", type=int, default=3, help="open-and-close rounds (memory trend)")
    ap.add_argument("--handshake-timeout", type=float, default=10)
    ap.add_argument("--idle-timeout", type=float, default=10)
    ap.add_argument("--model", default="smollm2-135m-instruct-q4_1")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    tmp = Path(tempfile.mkdtemp(prefix="privsplit-idle-"))
    procs: list[subprocess.Popen] = []
    try:
        backend, base_url = start_llama_server(args.model, 1, tmp, env)
        procs.append(backend)
        gw, port, pki = start_gateway(
            tmp,
            base_url,
            env,
            handshake_timeout_seconds=args.handshake_timeout,
            connection_idle_seconds=args.idle_timeout,
        )
        procs.append(gw)
        asyncio.run(run(args, port, gw.pid, pki))
    finally:
        stop_processes(procs)


if __name__ == "__main__":
    main()
