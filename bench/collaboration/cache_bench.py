"""The private answer cache on a workload of repeated, re-spaced, paraphrased and near-miss
questions: hit rate, false-hit rate and hit latency.

    .venv/bin/python bench/collaboration/cache_bench.py [--cloud HOST:PORT] [--split]

The real pipeline (privacy engine, guard, audit hook, encrypted cache in a temporary
directory) in front of a real cloud gateway (SmolLM2 by default; ``--cloud`` reuses a running
plain-text loopback gateway). Every question belongs to an *intent*. Repeats (the same
question, or the same template with another person's details: another conversation) and
re-spaced copies share the intent of the first ask; paraphrases share it too (an exact cache
misses them: the table counts them as missed opportunities); near misses (same template,
another number, language, topic or attribute) each have an intent of their own. A hit is
false when the entry that answered was stored by a request of another intent; hits on a pair
that the sanitizer itself makes identical (the cloud would have received the very same text)
are counted apart. Every hit is also checked for the private values of other conversations.

Latency: ``hit p50`` is the whole request through ``Pipeline.ask`` (detect, redact, guard,
cache look-up, restore) on a hit; ``lookup p50`` the cache step alone (decrypt one entry).
With ``--split`` a second pass runs the default split mode (the edge model's hide pass runs
before the cache can be asked, so it dominates the hit latency).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from privsplit.edge.cache.answers import canonical
from privsplit.edge.cache.placeholders import normalize
from privsplit.edge.egress import UNAUDITED
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings

PEOPLE = [
    ("Maria Gonzalez", "maria.gonzalez@example.org"),
    ("John Smith", "john.smith@example.com"),
    ("Aiko Tanaka", "aiko.tanaka@example.net"),
    ("Peter Novak", "p.novak@example.org"),
]

# (intent, kind, text); kinds: first | repeat | respaced | other_person | paraphrase | near |
# collision (same template, another attribute that the sanitizer hides the same way)
WORKLOAD: list[tuple[str, str, str]] = [
    ("pct", "first", "What is 15% of 80?"),
    ("pct", "repeat", "What is 15% of 80?"),
    ("pct", "respaced", "What is 15%  of 80? "),
    ("pct", "paraphrase", "How much is 15 percent of 80?"),
    ("pct-90", "near", "What is 15% of 90?"),
    ("pct-25", "near", "What is 25% of 80?"),
    ("primes", "first", "Name three prime numbers greater than 10."),
    ("primes", "repeat", "Name three prime numbers greater than 10."),
    ("primes", "paraphrase", "List three primes above 10."),
    ("primes-20", "near", "Name three prime numbers greater than 20."),
    ("primes-less", "near", "Name three prime numbers less than 10."),
    ("polite", "first", "Rewrite more politely: send me the report now."),
    ("polite", "repeat", "Rewrite more politely: send me the report now."),
    ("polite", "respaced", "Rewrite more politely:  send me the report now."),
    ("polite", "paraphrase", "Make this more polite: send me the report now."),
    ("polite-slides", "near", "Rewrite more politely: send me the slides now."),
    ("formal", "near", "Rewrite more formally: send me the report now."),
    ("greet", "first", "Write one short sentence greeting {name} ({email}) by name."),
    ("greet", "other_person", "Write one short sentence greeting {name} ({email}) by name."),
    ("greet", "other_person", "Write one short sentence greeting {name} ({email}) by name."),
    ("greet", "paraphrase", "Greet {name} ({email}) by name in one short sentence."),
    ("thank", "near", "Write one short sentence thanking {name} ({email}) by name."),
    ("invoice", "first", "Draft a two-line email to {name} about the invoice due on Friday."),
    (
        "invoice",
        "other_person",
        "Draft a two-line email to {name} about the invoice due on Friday.",
    ),
    ("invoice", "repeat", "Draft a two-line email to {name} about the invoice due on Friday."),
    ("invoice-mon", "near", "Draft a two-line email to {name} about the invoice due on Monday."),
    ("meeting", "near", "Draft a two-line email to {name} about the meeting on Friday."),
    ("sky", "first", "Why is the sky blue? Answer in one sentence."),
    ("sky", "repeat", "Why is the sky blue? Answer in one sentence."),
    ("sky", "paraphrase", "In one sentence, why is the sky blue?"),
    ("sea", "near", "Why is the sea blue? Answer in one sentence."),
    ("sky-2", "near", "Why is the sky blue? Answer in two sentences."),
    ("capital-au", "first", "What is the capital of Australia?"),
    ("capital-au", "repeat", "What is the capital of Australia?"),
    ("capital-at", "collision", "What is the capital of Austria?"),
]


@dataclass
class Tally:
    asked: int = 0
    hits: int = 0
    false_hits: int = 0
    collision_hits: int = 0
    leaks: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [asked, hits]
    hit_seconds: list[float] = field(default_factory=list)
    lookup_seconds: list[float] = field(default_factory=list)
    miss_seconds: list[float] = field(default_factory=list)
    saved_tokens: int = 0
    eligible_misses: list[str] = field(default_factory=list)  # intent/kind, why


ELIGIBLE = ("repeat", "respaced", "other_person", "again")
COLLISIONS = {intent for intent, kind, _ in WORKLOAD if kind == "collision"}


def key_of(outbound: list[str]) -> tuple[str, ...]:
    return tuple(normalize(canonical(q)).text for q in outbound)


async def run(pipeline, tally: Tally, rounds: int) -> None:
    stored_by: dict[tuple[str, ...], str] = {}  # normalized key -> intent that stored it
    spent: dict[tuple[str, ...], int] = {}
    people = 0
    for round_ in range(rounds):
        for intent, kind, template in WORKLOAD:
            kind = kind if round_ == 0 else "again"  # later rounds: all asked before
            name, email = PEOPLE[people % len(PEOPLE)]
            people += kind in ("first", "other_person")  # another person: another conversation
            text = template.format(name=name, email=email)
            started = time.perf_counter()
            result = await pipeline.ask(text, vault=Vault())
            seconds = time.perf_counter() - started
            asked_hits = tally.by_kind.setdefault(kind, [0, 0])
            asked_hits[0] += 1
            tally.asked += 1
            key = key_of(result.outbound) if result.route == "cloud" else None
            if result.route != "cache":
                tally.miss_seconds.append(seconds)
                if kind in ELIGIBLE:
                    why = "sanitized differently" if key not in stored_by else "not stored"
                    tally.eligible_misses.append(f"{intent}/{kind}: {why}")
                if key is not None:
                    stored_by.setdefault(key, intent)
                    spent[key] = (
                        result.cloud_usage.prompt_tokens + result.cloud_usage.completion_tokens
                    )
                continue
            tally.hits += 1
            asked_hits[1] += 1
            tally.hit_seconds.append(seconds)
            plan = await asyncio.to_thread(pipeline.plan_request, text, Vault())
            hit_key = key_of(plan.outbound)
            t0 = time.perf_counter()
            pipeline.cache.look_up(plan.outbound, pipeline.delegator.scope())
            tally.lookup_seconds.append(time.perf_counter() - t0)
            tally.saved_tokens += spent.get(hit_key, 0)
            if stored_by.get(hit_key) != intent:
                if intent in COLLISIONS:
                    tally.collision_hits += 1
                else:
                    tally.false_hits += 1
            others = [v for p in PEOPLE if p != (name, email) for v in p]
            tally.leaks += any(v in result.answer for v in others)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def table(label: str, t: Tally) -> str:
    near = t.by_kind.get("near", [0, 0])
    eligible = sum(t.by_kind.get(k, [0, 0])[0] for k in ELIGIBLE)
    eligible_hits = sum(t.by_kind.get(k, [0, 0])[1] for k in ELIGIBLE)
    para = t.by_kind.get("paraphrase", [0, 0])
    rows = [
        ("requests", f"{t.asked}"),
        ("hit rate (all requests)", f"{t.hits / t.asked:.1%} ({t.hits}/{t.asked})"),
        (
            "hit rate (repeats, re-spaced, other person, round 2+)",
            f"{eligible_hits / max(1, eligible):.1%} ({eligible_hits}/{eligible})",
        ),
        (
            "hit rate (first-time paraphrases; exact match)",
            f"{para[1] / max(1, para[0]):.1%} ({para[1]}/{para[0]})",
        ),
        (
            "false hits (answered by another intent's entry)",
            f"{t.false_hits}/{t.hits} hits = {t.false_hits / max(1, t.hits):.1%} "
            f"({near[0]} near-miss probes asked)",
        ),
        ("sanitizer collisions answered", f"{t.collision_hits} (the cloud gets the same text)"),
        ("hits holding another conversation's values", f"{t.leaks}"),
        (
            "hit p50 / p90 (whole request)",
            f"{pct(t.hit_seconds, 0.5) * 1000:.1f} / {pct(t.hit_seconds, 0.9) * 1000:.1f} ms",
        ),
        ("lookup p50 (cache step alone)", f"{pct(t.lookup_seconds, 0.5) * 1000:.2f} ms"),
        ("miss p50 (through the cloud)", f"{pct(t.miss_seconds, 0.5) * 1000:.0f} ms"),
        ("cloud tokens saved by hits", f"{t.saved_tokens}"),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"## {label}", ""] + [f"{k.ljust(width)}  {v}" for k, v in rows]
    if t.eligible_misses:
        lines.append("repeats that missed: " + "; ".join(t.eligible_misses))
    return "\n".join(lines)


async def bench(args: argparse.Namespace, address: str, mode: str) -> Tally:
    root = Path(tempfile.mkdtemp(prefix="privsplit-cache-bench-"))
    settings = EdgeSettings.load(
        cloud_address=address,
        cloud_insecure=True,
        max_tokens=args.max_tokens,
        edge_model=args.edge_model,
        # SmolLM2's hide answers are often unreadable: best_effort keeps the bench going (the
        # default, closed, refuses such a request); the label says which applied
        pipeline={"mode": mode, "model_output_failure": "best_effort"},
        cache={"enabled": True, "directory": root / "cache", "key_file": root / "cache.key"},
    )
    pipeline = build_pipeline(settings, audit=UNAUDITED)  # the audit log is not measured here
    tally = Tally()
    try:
        await run(pipeline, tally, args.rounds)
    finally:
        await pipeline.cloud.close()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cloud", help="a running plain-text loopback gateway (host:port)")
    parser.add_argument("--cloud-model", default="smollm2-135m-instruct-q4_1")
    parser.add_argument("--edge-model", default="smollm2-135m-instruct-q4_1")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the workload")
    parser.add_argument("--split", action="store_true", help="also measure split mode")
    args = parser.parse_args()
    proc = None
    address = args.cloud
    if address is None:
        from privsplit.cli.demo import start_cloud
        from privsplit.shared.models import ModelStore
        from privsplit.shared.settings import PrivsplitSettings

        model = str(ModelStore(root=PrivsplitSettings().models_dir).path(args.cloud_model))
        proc, port = start_cloud(model, Path(tempfile.mkdtemp()) / "cloud.log")
        address = f"127.0.0.1:{port}"
    print(f"command: .venv/bin/python bench/collaboration/cache_bench.py {' '.join(sys.argv[1:])}")
    print(
        f"cloud: {args.cloud_model} at {address}, max_tokens {args.max_tokens}; "
        f"{len(WORKLOAD)} questions x {args.rounds} rounds\n",
        flush=True,
    )
    modes = [("redact", "redact mode (detectors only)")]
    if args.split:
        modes.append(("split", f"split mode (hide pass on {args.edge_model}, best_effort)"))
    try:
        for mode, label in modes:
            print(table(label, asyncio.run(bench(args, address, mode))) + "\n", flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
