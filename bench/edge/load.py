"""32 concurrent SDK clients against the daemon for 2 minutes: errors and memory growth.

    .venv/bin/python bench/edge/load.py --clients 32 --seconds 120 --warmup 20

Each client is its own ``AsyncClient`` (own channel to the Unix socket) looping over a mix:
Ask 50%, StreamAsk 20%, Plan 10%, Redact 10%, and a conversation (create, two asks, delete)
10%. The cloud is the immediate-answer server of bench/edge/_fastcloud.py, so the daemon (not
generation) is what is loaded. The daemon's resident memory (VmRSS) is sampled every 5 s;
growth is measured from the end of the warm-up to the end of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import statistics
import sys
import time

from _daemon import start_daemon
from _fastcloud import start_fast_cloud

from privsplit.client import AsyncClient

TEXTS = [
    "Email Maria Gonzalez (maria.gonzalez@example.org) that the invoice is paid.",
    "Call John Smith at 212-555-0187 about the Lisbon venue.",
    "Summarize why Anna Müller moved the workshop to Friday.",
    "Write a two-line note to Peter Parker about card 4111 1111 1111 1111 being charged.",
]
MIB = 1024 * 1024


async def client_loop(
    index: int,
    socket_path,
    stop_at: float,
    warm_until: float,
    counts: collections.Counter,
    errors: collections.Counter,
    latencies: list[float],
    by_kind: dict[str, list[float]] | None = None,
    distinct: bool = False,
) -> None:
    """One client's loop. ``by_kind`` also collects latencies per kind; ``distinct`` makes
    every prompt unique (a request number appended) so the edge's answer cache never serves
    one and every ask reaches the cloud."""
    rng = random.Random(index)
    n = 0
    async with AsyncClient(socket_path=socket_path) as client:
        while time.monotonic() < stop_at:
            text = rng.choice(TEXTS)
            if distinct:
                n += 1
                text = f"{text} (request {index}-{n})"
            op = rng.random()
            started = time.monotonic()
            try:
                if op < 0.5:
                    await client.ask(text)
                    kind = "ask"
                elif op < 0.7:
                    async for _ in client.stream(text):
                        pass
                    kind = "stream"
                elif op < 0.8:
                    await client.plan(text)
                    kind = "plan"
                elif op < 0.9:
                    await client.redact(text)
                    kind = "redact"
                else:
                    async with await client.create_conversation() as conv:
                        await conv.ask(text)
                        await conv.ask(rng.choice(TEXTS))
                    kind = "conversation"
            except Exception as exc:  # counted, never hidden
                errors[type(exc).__name__] += 1
                continue
            if started >= warm_until:
                counts[kind] += 1
                latencies.append((time.monotonic() - started) * 1000)
                if by_kind is not None:
                    by_kind.setdefault(kind, []).append(latencies[-1])


async def run(clients: int, seconds: float, warmup: float, distinct: bool = False) -> None:
    address, fast, stop_cloud = start_fast_cloud()
    daemon = start_daemon(address)
    counts: collections.Counter = collections.Counter()
    errors: collections.Counter = collections.Counter()
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    rss: list[tuple[float, int]] = []
    start = time.monotonic()
    warm_until, stop_at = start + warmup, start + warmup + seconds

    async def sample() -> None:
        while time.monotonic() < stop_at:
            rss.append((time.monotonic() - start, daemon.rss_bytes()))
            await asyncio.sleep(5)

    rss_start = daemon.rss_bytes()
    try:
        await asyncio.gather(
            sample(),
            *(
                client_loop(
                    i,
                    daemon.socket_path,
                    stop_at,
                    warm_until,
                    counts,
                    errors,
                    latencies,
                    by_kind,
                    distinct,
                )
                for i in range(clients)
            ),
        )
        rss_end = daemon.rss_bytes()
    finally:
        code = daemon.stop()
        stop_cloud()
    after_warm = [b for t, b in rss if t >= warmup] or [rss_end]
    base = after_warm[0]
    total = sum(counts.values())
    lat = sorted(latencies)
    print(
        f"\n{clients} concurrent SDK clients (AsyncClient over the Unix socket), {seconds:.0f} s after "
        f"{warmup:.0f} s warm-up, fast cloud ({fast.calls} completions), pipeline mode=redact; "
        f"daemon exit code {code}\n"
    )
    print(
        "| requests | req/s | p50 ms | p99 ms | errors | RSS at start | RSS after warm-up | RSS at end | growth after warm-up | peak |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {total} | {total / seconds:.1f} | {statistics.median(lat):.1f} | {lat[int(0.99 * (len(lat) - 1))]:.1f} | "
        f"{sum(errors.values())} | {rss_start / MIB:.1f} MiB | {base / MIB:.1f} MiB | {rss_end / MIB:.1f} MiB | "
        f"{(rss_end - base) / MIB:+.1f} MiB | {max(b for _, b in rss) / MIB:.1f} MiB |"
    )
    print("\nby kind: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("\n| kind | requests | p50 ms | p99 ms | p99/p50 |\n|---|---|---|---|---|")
    for kind, values in sorted(by_kind.items()):
        v = sorted(values)
        p50, p99 = statistics.median(v), v[int(0.99 * (len(v) - 1))]
        print(f"| {kind} | {len(v)} | {p50:.1f} | {p99:.1f} | {p99 / p50:.2f} |")
    print("errors: " + (", ".join(f"{k} {v}" for k, v in errors.items()) or "none"))
    print("RSS samples (s, MiB): " + " ".join(f"{t:.0f}:{b / MIB:.0f}" for t, b in rss))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument(
        "--distinct-prompts",
        action="store_true",
        help="make every prompt unique so the answer cache serves none",
    )
    args = parser.parse_args()
    asyncio.run(run(args.clients, args.seconds, args.warmup, args.distinct_prompts))


if __name__ == "__main__":
    sys.exit(main())
