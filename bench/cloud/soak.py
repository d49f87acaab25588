"""Gateway soak: N concurrent streams held for a while through the gateway (its own process,
mTLS + token, openai backend = llama_cpp.server with SmolLM2): errors, latency spread, and
the gateway's resident memory over time.

    .venv/bin/python bench/cloud/soak.py --streams 64 --seconds 300 --warmup 20

Each stream loops one short completion after another until the time is up. The gateway's
VmRSS (/proc/PID/status) is sampled every 5 s; growth is measured from the end of the
warm-up to the end. ``soak`` is also the code path of tests/faults/test_load_soak.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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


@dataclass
class SoakResult:
    streams: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    rss_kib: list[tuple[float, int]] = field(default_factory=list)  # (s since start, KiB)
    rss_after_warmup: int = 0
    rss_end: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        lat = sorted(self.latencies_ms)
        return lat[int(0.99 * (len(lat) - 1))]

    @property
    def growth_kib(self) -> int:
        return self.rss_end - self.rss_after_warmup


async def soak(
    stub: CloudInferenceStub,
    pid: int,
    *,
    streams: int,
    seconds: float,
    warmup: float,
    max_tokens: int = 2,
) -> SoakResult:
    """``streams`` workers loop completions for ``warmup + seconds``; latencies counted after
    the warm-up; the gateway's RSS sampled every 5 s and at the warm-up's end."""
    out = SoakResult(streams=streams, seconds=seconds)
    start = time.monotonic()
    warm_until, stop_at = start + warmup, start + warmup + seconds

    async def worker() -> None:
        while time.monotonic() < stop_at:
            one = Sample()
            began = time.monotonic()
            await gateway_one(stub, max_tokens, one)
            if began >= warm_until:
                out.errors += one.errors
                out.latencies_ms.extend(x * 1000 for x in one.latency)

    async def sample() -> None:
        marked = False
        while time.monotonic() < stop_at:
            now = time.monotonic()
            if not marked and now >= warm_until:
                out.rss_after_warmup, marked = rss_kib(pid), True
            out.rss_kib.append((now - start, rss_kib(pid)))
            await asyncio.sleep(min(5.0, max(0.1, warm_until - now if not marked else 5.0)))

    await asyncio.gather(sample(), *(worker() for _ in range(streams)))
    out.rss_end = rss_kib(pid)
    out.rss_after_warmup = out.rss_after_warmup or out.rss_kib[0][1]
    return out


def table(r: SoakResult) -> str:
    n = len(r.latencies_ms)
    return "\n".join(
        [
            "| streams | seconds | requests | req/s | p50 ms | p99 ms | p99/p50 | errors "
            "| RSS after warm-up | RSS at end | growth | peak |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {r.streams} | {r.seconds:.0f} | {n} | {n / r.seconds:.1f} | {r.p50:.1f} | "
            f"{r.p99:.1f} | {r.p99 / r.p50:.2f} | {r.errors} | {r.rss_after_warmup / 1024:.1f} MiB "
            f"| {r.rss_end / 1024:.1f} MiB | {r.growth_kib / 1024:+.1f} MiB "
            f"| {max(b for _, b in r.rss_kib) / 1024:.1f} MiB |",
        ]
    )


async def main_async(args: argparse.Namespace, port: int, pid: int, pki) -> None:
    async with gateway_channel(port, pki) as channel:
        r = await soak(
            CloudInferenceStub(channel),
            pid,
            streams=args.streams,
            seconds=args.seconds,
            warmup=args.warmup,
            max_tokens=args.max_tokens,
        )
    print(
        f"\ngateway soak: {args.streams} concurrent streams, {args.seconds:.0f} s after "
        f"{args.warmup:.0f} s warm-up, max_tokens={args.max_tokens}, backend llama_cpp.server "
        f"{args.model} (n_threads={args.backend_threads})\n"
    )
    print(table(r))
    print("RSS samples (s, MiB): " + " ".join(f"{t:.0f}:{b / 1024:.0f}" for t, b in r.rss_kib))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--streams", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--warmup", type=float, default=20)
    ap.add_argument("--max-tokens", type=int, default=2)
    ap.add_argument("--model", default="smollm2-135m-instruct-q4_1")
    ap.add_argument("--backend-threads", type=int, default=1)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    tmp = Path(tempfile.mkdtemp(prefix="privsplit-soak-"))
    procs: list[subprocess.Popen] = []
    try:
        backend, base_url = start_llama_server(args.model, args.backend_threads, tmp, env)
        procs.append(backend)
        gw, port, pki = start_gateway(tmp, base_url, env)
        procs.append(gw)
        asyncio.run(main_async(args, port, gw.pid, pki))
    finally:
        stop_processes(procs)


if __name__ == "__main__":
    main()
