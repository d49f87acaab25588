"""Daemon overhead: the same 1,000-character request through the daemon vs. the pipeline in
process, excluding model generation.

    .venv/bin/python bench/edge/overhead.py --requests 200

Both paths use the same real pipeline (redact mode: Presidio + spaCy detect, vault, guard,
delegate, restore) and the same cloud: a CloudInference server on loopback gRPC that answers
at once (bench/edge/_fastcloud.py), so generation time is not part of either number. The
daemon runs as a separate process (`privsplit edge serve`) and is driven by the SDK over its
Unix socket (unary and streaming) and by HTTP (`/v1/chat/completions`). Rounds alternate
the paths; "paired" is the median of per-round differences against the in-process call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _daemon import start_daemon
from _fastcloud import start_fast_cloud

from privsplit.client import AsyncClient
from privsplit.edge.audit import AuditLog
from privsplit.edge.egress import UNAUDITED
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings

# the same request again and again: the answer cache (in process and in the daemon) would
# answer all but the first, so this bench measures with it off
os.environ["PRIVSPLIT_EDGE_CACHE__ENABLED"] = "false"

PROMPT_BASE = (
    "Please draft a short reply to Maria Gonzalez (maria.gonzalez@example.org, phone "
    "212-555-0187) about the invoice for the Lisbon workshop. She asked whether the "
    "payment from John Smith arrived and whether the venue on Rua Augusta is still "
    "booked for the second week of March. Keep it friendly and mention that the "
    "agenda will follow next week. "
)


def prompt(chars: int = 1000) -> str:
    text = (PROMPT_BASE * (chars // len(PROMPT_BASE) + 1))[:chars]
    return text[: text.rfind(" ")] + "." * (chars - text.rfind(" "))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(requests: int, warmup: int) -> None:
    text = prompt()
    assert len(text) == 1000
    address, fast, stop_cloud = start_fast_cloud()
    daemon = start_daemon(address)
    settings = EdgeSettings.load(
        cloud_address=address, cloud_insecure=True, pipeline={"mode": "redact"}
    )
    pipeline = build_pipeline(settings, audit=UNAUDITED)  # the baseline row: no record, on purpose
    audit = AuditLog(directory=Path(tempfile.mkdtemp(prefix="psbench-audit"))).open()
    key = (daemon.root / "keys" / "api.key").read_text().strip()  # made at the daemon's start
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{daemon.http_port}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    body = {"model": "privsplit", "messages": [{"role": "user", "content": text}]}

    async def in_process() -> None:
        await pipeline.ask(text)

    async def in_process_audit() -> None:
        await pipeline.ask(text, extra_hooks=[audit.hook])

    try:
        async with AsyncClient(socket_path=daemon.socket_path) as client:

            async def sdk_unary() -> None:
                await client.ask(text)

            async def sdk_stream() -> None:
                async for _ in client.stream(text):
                    pass

            async def http_openai() -> None:
                r = await http.post("/v1/chat/completions", json=body)
                r.raise_for_status()

            paths = {
                "in-process pipeline": in_process,
                "in-process + audit hook": in_process_audit,
                "daemon, SDK Ask (unix socket)": sdk_unary,
                "daemon, SDK StreamAsk (unix socket)": sdk_stream,
                "daemon, HTTP /v1/chat/completions": http_openai,
            }
            times: dict[str, list[float]] = {name: [] for name in paths}
            for i in range(warmup + requests):
                for name, fn in paths.items():
                    started = time.perf_counter()
                    await fn()
                    if i >= warmup:
                        times[name].append((time.perf_counter() - started) * 1000)
    finally:
        await http.aclose()
        await pipeline.cloud.close()
        daemon.stop()
        stop_cloud()
    base = times["in-process pipeline"]
    print(
        f"\nDaemon overhead, 1,000-character prompt (names, email, phone; a 440-char paragraph repeated), {requests} rounds after "
        f"{warmup} warm-up, fast cloud ({fast.calls} calls), pipeline mode=redact\n"
    )
    print("| path | p50 ms | p90 ms | p99 ms | p50 minus in-process | paired median diff |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        diffs = [v - b for v, b in zip(values, base)]
        print(
            f"| {name} | {pct(values, 0.5):.2f} | {pct(values, 0.9):.2f} | {pct(values, 0.99):.2f} | "
            f"{pct(values, 0.5) - pct(base, 0.5):+.2f} | {statistics.median(diffs):+.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.warmup))


if __name__ == "__main__":
    sys.exit(main())
