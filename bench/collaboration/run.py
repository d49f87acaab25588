"""bench/collaboration: the confidence cascade on simple requests and PUPA queries.

    nice -n 10 .venv/bin/python bench/collaboration/run.py [--simple 60] [--pupa 60]

Each request is answered three ways, and every answer is kept on disk (``--work``; a run that
is stopped resumes where it was):

- ``local``: the device's draft (``privsplit.edge.pipeline.cascade.draft``, the code the
  pipeline runs): exact arithmetic where the evaluator reads the request, else the edge model,
  greedy, with each token's log-probability; requests over ``--max-input-chars`` are not drafted.
- ``samples``: ``--k`` more answers of the edge model at temperature 0.7 (``--sample-tokens``
  tokens), for the sampled-answer agreement signal.
- ``cloud``: the cloud model through a real ``privsplit cloud serve`` on loopback, answer A at
  temperature 0 and answer B at 0.7 (as in bench/delegation).

Quality ratio of an answer X = cos(X, A) / cos(B, A) with all-MiniLM-L6-v2 (bench/delegation's
metric), capped at 1 (a local answer cannot make up for another's loss). Cloud-only scores 1
by definition, so the cascade's "quality lowered" is the mean over all requests of
(1 - ratio) on the requests answered locally. Each signal's threshold is picked as the one with
the largest share answered locally whose quality is lowered by at most ``--max-drop`` on the
mixed set AND on PUPA alone; the table also shows the threshold picked on one half of the
requests and scored on the other (an honest estimate: the pick is tuned on the set).
Phases run one by one; ``--phase cloud`` and ``--phase local`` may run in two processes at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import mean, median

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "delegation"))

from request_set import pupa_requests, simple_requests  # noqa: E402
from scoring import agreement, fmt_row, outcome, pick, signals  # noqa: E402

from privsplit.edge.pipeline.settings import PipelineSettings  # noqa: E402

REPO = HERE.parents[1]
DATA = REPO.parent / "shared" / "data"
EDGE_DEFAULT = "qwen2.5-coder-0.5b-instruct-q4_k_m"
CLOUD_DEFAULT = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--simple", type=int, default=60, help="Simple requests (generated).")
    p.add_argument("--pupa", type=int, default=60, help="PUPA records (seeded sample).")
    p.add_argument("--pupa-file", type=Path, default=DATA / "pupa_new.jsonl")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--edge-model", default=EDGE_DEFAULT)
    p.add_argument("--cloud-model", default=CLOUD_DEFAULT)
    p.add_argument("--cloud", help="A running plain-text loopback gateway (host:port).")
    p.add_argument("--draft-tokens", type=int, default=48, help="Tokens of the local draft.")
    p.add_argument("--max-input-chars", type=int, default=2000)
    p.add_argument("--cloud-tokens", type=int, default=128, help="Tokens of a cloud answer.")
    p.add_argument("--k", type=int, default=2, help="Sampled local answers (agreement).")
    p.add_argument("--sample-tokens", type=int, default=24)
    p.add_argument("--max-drop", type=float, default=0.02)
    p.add_argument(
        "--threshold",
        type=float,
        default=PipelineSettings().cascade_threshold,
        help="The operating point printed first (default: pipeline.cascade_threshold).",
    )
    p.add_argument(
        "--follow",
        action="store_true",
        help="cloud/samples phases: keep waiting for drafts of a local phase running alongside.",
    )
    p.add_argument(
        "--work",
        type=Path,
        default=Path.home() / ".cache" / "privsplit" / "bench-collaboration",
        help="Where answers are kept (resumable).",
    )
    p.add_argument("--phase", choices=["local", "samples", "cloud", "report", "all"], default="all")
    return p.parse_args(argv)


def requests(args: argparse.Namespace) -> list[dict]:
    """Simple and PUPA requests interleaved, so a partial run covers both."""
    simple = simple_requests(args.simple, args.seed)
    pupa = pupa_requests(args.pupa_file, args.pupa, args.seed)
    out = []
    for i in range(max(len(simple), len(pupa))):
        out += simple[i : i + 1] + pupa[i : i + 1]
    return out


class Store:
    """One JSONL file per phase; a row is reused when its id and config match."""

    def __init__(self, path: Path, config: dict) -> None:
        self.path, self.config = path, json.dumps(config, sort_keys=True)
        self.rows: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                if row.get("config") == self.config:
                    self.rows[row["id"]] = row

    def add(self, row: dict) -> None:
        row["config"] = self.config
        self.rows[row["id"]] = row
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")


def local_store(args: argparse.Namespace) -> Store:
    cfg = {"model": args.edge_model, "tokens": args.draft_tokens, "chars": args.max_input_chars}
    return Store(args.work / "local.jsonl", cfg)


def candidates(args: argparse.Namespace, reqs: list[dict]) -> tuple[list[dict], bool]:
    """Requests whose draft could be kept (finished, not skipped), and whether every request
    has its draft. Only these need the cloud's answers and the samples: an escalated request
    gets the cloud's answer, quality ratio 1 by definition."""
    drafts = local_store(args).rows
    keep = [
        r
        for r in reqs
        if r["id"] in drafts
        and drafts[r["id"]]["finished"]
        and drafts[r["id"]]["source"] != "skipped"
    ]
    return keep, all(r["id"] in drafts for r in reqs)


def follow(args: argparse.Namespace, reqs: list[dict], work: Callable[[list[dict]], None]) -> None:
    while True:
        keep, complete = candidates(args, reqs)
        work(keep)
        if complete or not args.follow:
            return
        time.sleep(20)


def load_edge(args: argparse.Namespace):
    from privsplit.edge.runtime.llamacpp import LlamaCppModel
    from privsplit.shared.models import ModelStore
    from privsplit.shared.settings import PrivsplitSettings

    path = ModelStore(root=PrivsplitSettings().models_dir).path(args.edge_model)
    return LlamaCppModel(model_path=path, n_ctx=4096)


def phase_local(args: argparse.Namespace, reqs: list[dict]) -> None:
    from privsplit.edge.pipeline.cascade import draft

    store = local_store(args)
    todo = [r for r in reqs if r["id"] not in store.rows]
    if not todo:
        return
    with load_edge(args) as model:
        draft(model, "Say hi.", max_tokens=4, max_input_chars=100)  # warm-up, not timed
        for n, r in enumerate(todo, 1):
            d = draft(
                model, r["text"], max_tokens=args.draft_tokens, max_input_chars=args.max_input_chars
            )
            store.add(
                {
                    "id": r["id"],
                    "text": d.text,
                    "source": d.source,
                    "logprobs": d.logprobs,
                    "finished": d.finished,
                    "seconds": d.seconds,
                }
            )
            print(f"local {n}/{len(todo)} {r['id']} {d.source} {d.seconds:.1f}s", flush=True)


def phase_samples(args: argparse.Namespace, reqs: list[dict]) -> None:
    from privsplit.edge.pipeline.cascade import arith_answer, draft_messages
    from privsplit.shared.types import GenerationParams

    cfg = {"model": args.edge_model, "k": args.k, "tokens": args.sample_tokens}
    store = Store(args.work / "samples.jsonl", cfg)
    todo = [r for r in reqs if r["id"] not in store.rows and arith_answer(r["text"]) is None]
    if not todo:
        return
    with load_edge(args) as model:
        for n, r in enumerate(todo, 1):
            started = time.perf_counter()
            texts = [
                model.chat(
                    draft_messages(r["text"]),
                    GenerationParams(max_tokens=args.sample_tokens, temperature=0.7, seed=s + 1),
                )
                for s in range(args.k)
            ]
            seconds = time.perf_counter() - started
            store.add({"id": r["id"], "texts": texts, "seconds": seconds})
            print(f"samples {n}/{len(todo)} {r['id']} {seconds:.1f}s", flush=True)


def phase_cloud(args: argparse.Namespace, reqs: list[dict]) -> None:
    cfg = {"model": args.cloud_model, "tokens": args.cloud_tokens}
    store = Store(args.work / "cloud.jsonl", cfg)
    todo = [r for r in reqs if r["id"] not in store.rows]
    if not todo:
        return
    proc, address = None, args.cloud
    if address is None:
        import os

        from privsplit.cli.demo import start_cloud

        os.environ["PRIVSPLIT_CLOUD_N_CTX"] = "8192"
        os.environ["PRIVSPLIT_CLOUD_MAX_DEADLINE_SECONDS"] = "3600"
        proc, port = start_cloud(args.cloud_model, Path(tempfile.mkdtemp()) / "cloud.log")
        address = f"127.0.0.1:{port}"
    try:
        asyncio.run(_ask_cloud(args, address, todo, store))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)


async def _ask_cloud(args, address: str, todo: list[dict], store: Store) -> None:
    from privsplit.edge.egress import UNAUDITED
    from privsplit.edge.provider import build_pipeline
    from privsplit.edge.settings import EdgeSettings
    from privsplit.shared.types import GenerationParams

    settings = EdgeSettings.load(
        cloud_address=address,
        cloud_insecure=True,
        max_tokens=args.cloud_tokens,
        cloud_deadline_seconds=3600,
        pipeline={"mode": "redact"},
        cache={"enabled": False},
    )
    pipeline = build_pipeline(settings, audit=UNAUDITED)  # raw baseline answers, not measured
    a_params = GenerationParams(max_tokens=args.cloud_tokens, temperature=0.0)
    b_params = GenerationParams(max_tokens=args.cloud_tokens, temperature=0.7, seed=1234)
    try:
        for n, r in enumerate(todo, 1):
            started = time.perf_counter()
            a = await pipeline.ask_raw(r["text"], params=a_params)
            b = await pipeline.ask_raw(r["text"], params=b_params)
            store.add(
                {
                    "id": r["id"],
                    "a": a.answer,
                    "b": b.answer,
                    "tokens": a.cloud_usage.prompt_tokens + a.cloud_usage.completion_tokens,
                    "seconds_a": a.seconds_total,
                }
            )
            took = time.perf_counter() - started
            print(f"cloud {n}/{len(todo)} {r['id']} {took:.1f}s", flush=True)
    finally:
        await pipeline.cloud.close()


# -- report ------------------------------------------------------------------------------
def score_rows(args, reqs: list[dict]) -> list[dict]:
    """The requests scored so far (a prefix of the interleaved order): the draft of each, and
    the quality ratio and cloud tokens of the candidates (finished drafts; the others are
    always escalated)."""
    from metrics import Embedder

    from privsplit.edge.pipeline.cascade import Draft, arith_answer

    local = local_store(args).rows
    samples = Store(
        args.work / "samples.jsonl",
        {"model": args.edge_model, "k": args.k, "tokens": args.sample_tokens},
    ).rows
    cloud = Store(
        args.work / "cloud.jsonl", {"model": args.cloud_model, "tokens": args.cloud_tokens}
    ).rows
    out = []
    for r in reqs:  # the requests in order, up to the first one not scored yet (no bias)
        lo = local.get(r["id"])
        if lo is None:
            break
        text = arith_answer(r["text"]) if lo["source"] == "arith" else lo["text"]  # current form
        d = Draft(text or "", lo["source"], lo["logprobs"], lo["finished"], lo["seconds"])
        candidate = d.finished and d.source != "skipped"
        if candidate and r["id"] not in cloud:
            break
        smp = samples.get(r["id"])
        agree = 1.0 if d.source == "arith" else agreement(d.text, smp["texts"]) if smp else None
        out.append(
            {
                **r,
                "half": int(r["id"].rsplit("-", 1)[1]) % 2,  # alternate within each set
                "draft": d,
                "candidate": candidate,
                "ratio": None,
                "tokens": cloud[r["id"]]["tokens"] if candidate else None,
                "cloud_a": cloud[r["id"]]["a"] if candidate else "",
                "agree": agree,
                "sample_seconds": smp["seconds"] if smp else None,
            }
        )
    scored = [r for r in out if r["candidate"]]
    emb = Embedder()
    a = [cloud[r["id"]]["a"] for r in scored]
    cos_l = emb.cosine([r["draft"].text for r in scored], a)
    cos_b = emb.cosine([cloud[r["id"]]["b"] for r in scored], a)
    for r, cl, cb in zip(scored, cos_l, cos_b):
        r["ratio_raw"] = 1.0 if cb <= 0 else cl / cb  # bench/delegation's ratio as it is
        r["ratio"] = min(1.0, r["ratio_raw"])
    return out


def report(args: argparse.Namespace, reqs: list[dict]) -> None:
    rows = score_rows(args, reqs)
    sets = {
        "mixed": rows,
        "PUPA": [r for r in rows if r["set"] == "pupa"],
        "simple": [r for r in rows if r["set"] == "simple"],
    }
    print(
        f"\nrequests scored: {len(rows)} ({len(sets['simple'])} simple, {len(sets['PUPA'])} PUPA); "
        f"edge {args.edge_model} (draft {args.draft_tokens} tokens, inputs over "
        f"{args.max_input_chars} chars not drafted), cloud {args.cloud_model} "
        f"({args.cloud_tokens} tokens); quality ratio capped at 1, cloud-only = 1\n"
    )
    head = (
        "| set | requests | answered locally | mean ratio of local answers | quality lowered vs "
        "cloud-only (uncapped ratio) | cloud tokens saved | edge s added per escalated request (mean / p50) |\n"
        "|---|---|---|---|---|---|---|"
    )
    shipped = signals()["mean token logprob"]
    halves = [[r for r in rows if r["half"] == h] for h in (0, 1)]
    print(f"### the shipped default: mean token logprob >= {args.threshold:g}\n")
    print(head)
    for label, subset in [
        *sets.items(),
        ("mixed, half 1", halves[0]),
        ("mixed, half 2", halves[1]),
    ]:
        print(fmt_row(label, outcome(subset, shipped, args.threshold)))
    print()
    for name, value in signals().items():
        t = pick(rows, value, args.max_drop)
        print(f"### signal: {name}; threshold picked {t:.4g} (max drop {args.max_drop})\n")
        print(head)
        for label, subset in sets.items():
            print(fmt_row(label, outcome(subset, value, t)))
        for i in (0, 1):
            th = pick(halves[i], value, args.max_drop)
            o = outcome(halves[1 - i], value, th)
            op = outcome([r for r in halves[1 - i] if r["set"] == "pupa"], value, th)
            print(
                f"| mixed, half {2 - i} (threshold {th:.4g} picked on half {i + 1}) | "
                + fmt_row("", o).split("| ", 2)[2]
            )
            print(f"| PUPA, half {2 - i} (same threshold) | " + fmt_row("", op).split("| ", 2)[2])
        print()
    by_kind: dict[str, list[dict]] = {}
    for r in sets["simple"]:
        by_kind.setdefault(r["kind"], []).append(r)
    print("| simple kind | n | mean ratio of finished drafts | drafts finished | arith answered |")
    print("|---|---|---|---|---|")
    for kind, rs in sorted(by_kind.items()):
        ratios = [r["ratio"] for r in rs if r["ratio"] is not None]
        print(
            f"| {kind} | {len(rs)} | {mean(ratios) if ratios else float('nan'):.3f} "
            f"| {sum(r['draft'].finished for r in rs)} "
            f"| {sum(r['draft'].source == 'arith' for r in rs)} |"
        )
    exact = [r for r in rows if r["draft"].source == "arith"]
    right = sum(
        value in r["cloud_a"].replace(",", "")
        for r in exact
        if (value := r["draft"].text.rpartition(" equals ")[2].rstrip(".").replace(",", ""))
    )
    print(
        f"\narithmetic read by the exact evaluator: {len(exact)}; the cloud's answer A holds the "
        f"exact result in {right} of them (the device's is exact by construction)"
    )
    drafts = [r["draft"].seconds for r in rows if r["draft"].source == "model"]
    sampled = [r["sample_seconds"] for r in rows if r["sample_seconds"] is not None]
    print(
        f"\nedge s per model draft: mean {mean(drafts):.2f}, p50 {median(drafts):.2f}; "
        f"k={args.k} samples cost {mean(sampled) if sampled else float('nan'):.2f} s more per "
        f"request (mean). Timings on a shared 2-core machine: upper bounds."
    )


def main() -> None:
    args = parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    reqs = requests(args)
    print(f"command: .venv/bin/python bench/collaboration/run.py {' '.join(sys.argv[1:])}")
    if args.phase in ("local", "all"):
        phase_local(args, reqs)
    if args.phase in ("cloud", "all"):
        follow(args, reqs, lambda keep: phase_cloud(args, keep))
    if args.phase in ("samples", "all"):
        follow(args, reqs, lambda keep: phase_samples(args, keep))
    if args.phase in ("report", "all"):
        report(args, reqs)


if __name__ == "__main__":
    main()
