"""Answer quality under the re-identification budget: the same cloud model answers each turn
as the user wrote it and as the budget let it out; the bench's MiniLM ratio compares them.

    nice -n 10 .venv/bin/python bench/reid/quality.py [--conversations 40] [--turns 5]
        [--model qwen2.5-coder-0.5b-instruct-q4_k_m] [--max-tokens 64] [--cache FILE]

The conversations are ``run.py``'s (same seed, same population, the first N), each turn sent
alone as the pipeline sends it (the cloud's system prompt, one user message). Per turn:
A = the turn as written at T=0, B = the same at T=0.7 (seed 1234), P = the budgeted turn at
T=0 (the budget of the default's margin, 9.71 bits for 100,000 people; the row of run.py
that reaches 0% below k=50), restored on the device: placeholders from the vault, then the
answer's echoes of generalized values (``quasi.echo``). Ratio = cos(P, A) / cos(B, A) with
all-MiniLM-L6-v2 (bench/delegation/metrics.py). A turn the budget left unchanged gets P = A
exactly at T=0, so the table shows the changed turns apart.

Answers are cached on disk (JSON lines keyed by model, settings and text): an interrupted run
resumes where it stopped. The cloud is a real ``privsplit cloud serve`` on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent / "delegation"))  # metrics.py (its run.py must not shadow ours)
from population import Population  # noqa: E402
from run import SEED, turns_of  # noqa: E402

from privsplit.edge.privacy.quasi import DEFAULT_BUDGET_BITS, ReidBudget, Tables  # noqa: E402
from privsplit.edge.privacy.vault import Vault  # noqa: E402


def conversations(args: argparse.Namespace) -> list[list[dict]]:
    """run.py's first ``--conversations`` conversations, ``--turns`` turns each: the text as
    written, as budgeted, and what the budget did."""
    pop = Population.generate(args.people, SEED)
    rng = np.random.default_rng(SEED)
    rich = np.flatnonzero((pop.profession != "") & (pop.country != ""))
    targets = rng.choice(rich, size=min(500, len(rich)), replace=False)
    budget = ReidBudget(budget_bits=DEFAULT_BUDGET_BITS - math.log2(Tables.load().world / len(pop)))
    out = []
    for i in targets:
        turns = turns_of(pop, int(i), rng)  # consumes rng exactly as run.py does
        if len(out) >= args.conversations:
            continue
        vault, rows = Vault(), []
        for turn in turns[: args.turns]:
            step = budget.apply([turn], vault)
            vault.reveal(step.revealed)
            rows.append({"raw": turn, "sent": step.texts[0], "vault": vault, "step": step})
        out.append(rows)
    return out


class Answers:
    """The cloud's answers, cached on disk by (model, params, text)."""

    def __init__(self, path: Path, client, model: str, max_tokens: int) -> None:
        self.path, self.client, self.model, self.max_tokens = path, client, model, max_tokens
        self.cache: dict[str, str] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                self.cache[row["key"]] = row["answer"]

    async def get(self, text: str, *, temperature: float) -> str:
        from privsplit.edge.pipeline.prompts import load_prompt
        from privsplit.shared.types import CompletionRequest, GenerationParams

        params = GenerationParams(
            max_tokens=self.max_tokens, temperature=temperature, seed=1234 if temperature else 0
        )
        key = hashlib.sha256(json.dumps([self.model, repr(params), text]).encode()).hexdigest()
        if key not in self.cache:
            request = CompletionRequest(
                messages=load_prompt("cloud_system").render(query=text), params=params
            )
            answer, _ = await self.client.complete(request)
            self.cache[key] = answer
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"key": key, "answer": answer}) + "\n")
        return self.cache[key]


async def collect(args: argparse.Namespace, convs: list[list[dict]]) -> None:
    from privsplit.cli.demo import start_cloud
    from privsplit.edge.cloud_client import CloudClient

    workdir = Path(tempfile.mkdtemp(prefix="privsplit-reid-quality-"))
    proc, port = start_cloud(args.model, workdir / "cloud.log")
    client = CloudClient(address=f"127.0.0.1:{port}", insecure=True, deadline_seconds=600)
    answers = Answers(args.cache, client, args.model, args.max_tokens)
    started, done = time.perf_counter(), 0
    try:
        for c, rows in enumerate(convs, 1):
            for row in rows:
                row["A"] = await answers.get(row["raw"], temperature=0.0)
                row["B"] = await answers.get(row["raw"], temperature=0.7)
                row["P_sent"] = await answers.get(row["sent"], temperature=0.0)
                done += 1
            print(
                f"conversation {c}/{len(convs)}: {done} turns, "
                f"{time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    finally:
        await client.close()
        proc.terminate()
        proc.wait(30)


def restore(row: dict) -> tuple[str, int]:
    """P on the device: placeholders from the vault, then echoes of generalized values."""
    text = row["vault"].restore(row["P_sent"])
    try:
        from privsplit.edge.privacy.quasi.echo import restore_echoes
    except ImportError:  # before quasi.echo existed
        return text, 0
    return restore_echoes(text, row["step"].generalized)


def report(args: argparse.Namespace, convs: list[list[dict]]) -> None:
    from metrics import Embedder

    rows = [r for conv in convs for r in conv]
    restored = [restore(r) for r in rows]
    for r, (p, n) in zip(rows, restored):
        r["P"], r["echoes"] = p, n
    emb = Embedder()
    a = [r["A"] for r in rows]
    base = emb.cosine([r["B"] for r in rows], a)
    cos = emb.cosine([r["P"] for r in rows], a)
    ratios = [c / b if b > 0 else 0.0 for c, b in zip(cos, base)]
    changed = [i for i, r in enumerate(rows) if r["sent"] != r["raw"]]
    print(
        f"{len(convs)} conversations x {args.turns} turns; cloud {args.model} via privsplit "
        f"cloud serve, max_tokens {args.max_tokens}; budget of the default's margin"
    )
    print(
        "\n| turns | count | mean cos(B, A) | mean cos(P, A) | mean ratio | ratio capped at 1 "
        "| ratio of the means | turns with ratio >= 0.9 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, idx in (("all", range(len(rows))), ("changed by the budget", changed)):
        idx = list(idx)
        if not idx:
            continue
        r = [ratios[i] for i in idx]
        print(
            f"| {label} | {len(idx)} | {mean(base[i] for i in idx):.3f} "
            f"| {mean(cos[i] for i in idx):.3f} | {mean(r):.3f} "
            f"| {mean(min(x, 1.0) for x in r):.3f} "
            f"| {mean(cos[i] for i in idx) / mean(base[i] for i in idx):.3f} "
            f"| {sum(x >= 0.9 for x in r) / len(r):.1%} |"
        )
    print(f"\nechoes of generalized values restored in answers: {sum(r['echoes'] for r in rows)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--conversations", type=int, default=40)
    ap.add_argument("--turns", type=int, default=5)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/privsplit-reid-quality.jsonl"))
    ap.add_argument("--report-only", action="store_true", help="score the cached answers")
    args = ap.parse_args()
    convs = conversations(args)
    if not args.report_only:
        asyncio.run(collect(args, convs))
    else:
        answers = Answers(args.cache, None, args.model, args.max_tokens)
        for rows in convs:
            for row in rows:
                row["A"] = asyncio.run(answers.get(row["raw"], temperature=0.0))
                row["B"] = asyncio.run(answers.get(row["raw"], temperature=0.7))
                row["P_sent"] = asyncio.run(answers.get(row["sent"], temperature=0.0))
    report(args, convs)


if __name__ == "__main__":
    main()
