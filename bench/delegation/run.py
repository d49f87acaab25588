"""bench/delegation: leakage, quality and cost of the split on PUPA and long documents.

Rows: the raw query sent to the cloud (no protection), Presidio-only redaction (Presidio's
default recognizers + spaCy, placeholders restored in the answer; its guard checks only the
vault, so the row measures Presidio's redaction, not ours), and privsplit (privacy
engine + edge model: hide, summarize, plan, merge). The cloud is a real `privsplit cloud
serve` process on loopback; the edge model runs in this process.

    .venv/bin/python bench/delegation/run.py --limit 20

Quality ratio = cos(answer, raw answer A at T=0) / cos(raw answer B at T=0.7, A), with
all-MiniLM-L6-v2 embeddings (bench extra). Leakage = labeled PII units (>= 3 characters)
found, case-insensitively and as whole words, in any string sent to the cloud (the
substring variant is printed too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import Embedder, exact_answer_correct, leaked_units, units_of  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
EDGE_DEFAULT = "qwen2.5-coder-1.5b-instruct-q4_k_m"
CLOUD_DEFAULT = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--pupa", type=Path, default=DATA / "pupa_new.jsonl")
    p.add_argument("--long-docs", type=Path, default=DATA / "long_docs")
    p.add_argument(
        "--limit", type=int, default=None, help="First N PUPA records (default: all 664)."
    )
    p.add_argument("--offset", type=int, default=0, help="Skip the first N PUPA records.")
    p.add_argument(
        "--tasks",
        default="health,code,finance,long_documents",
        help="long_docs tasks to run (comma list; empty for none).",
    )
    p.add_argument("--edge-model", default=EDGE_DEFAULT)
    p.add_argument("--cloud-model", default=CLOUD_DEFAULT)
    p.add_argument("--cloud-ctx", type=int, default=16384, help="Cloud model context (tokens).")
    p.add_argument("--max-tokens", type=int, default=128, help="Cloud tokens per answer.")
    p.add_argument(
        "--out", type=Path, default=None, help="Per-query JSONL results (default: a temp file)."
    )
    p.add_argument(
        "--no-raw-docs",
        action="store_true",
        help="Skip sending whole documents raw (slow on CPU); their tokens are still counted.",
    )
    p.add_argument(
        "--reuse",
        type=Path,
        nargs="+",
        default=None,
        help="Earlier --out files: their baseline rows (raw A, raw B, Presidio) are reused for "
        "the same ids and cloud model instead of asked again; privsplit is always run.",
    )
    p.add_argument(
        "--plan-only",
        action="store_true",
        help="Leakage only: run privsplit's planning (no cloud call) on the PUPA records and "
        "score what would be sent.",
    )
    p.add_argument(
        "--report",
        type=Path,
        nargs="+",
        default=None,
        help="Only print the tables from earlier --out files (e.g. of a run that was stopped).",
    )
    return p.parse_args(argv)


def pupa_records(args: argparse.Namespace) -> list[dict]:
    rows = [
        json.loads(line)
        for line in args.pupa.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rows = rows[args.offset :]
    return rows[: args.limit] if args.limit is not None else rows


def build(args: argparse.Namespace, port: int):
    from privsplit.edge.pipeline import Pipeline, PipelineSettings, Redactor
    from privsplit.edge.privacy.detectors import create_detector
    from privsplit.edge.privacy.guard import EgressGuard
    from privsplit.edge.provider import build_pipeline
    from privsplit.edge.settings import EdgeSettings

    settings = EdgeSettings.load(
        cloud_address=f"127.0.0.1:{port}",
        cloud_insecure=True,
        edge_model=args.edge_model,
        max_tokens=args.max_tokens,
        cloud_deadline_seconds=3600,
        cache={"enabled": False},  # every row asks the cloud: repeated queries must not hit
    )
    privsplit = build_pipeline(settings)
    presidio = Pipeline(
        redactor=Redactor(detectors=[create_detector("presidio")]),
        guard=EgressGuard(detectors=[]),
        cloud=privsplit.cloud,
        audit=privsplit.gate.audit,  # the same audit log: every row's send is recorded
        local=None,
        settings=PipelineSettings(mode="redact", hide_terms=False),
        params=privsplit.params,
        cloud_model=settings.cloud.model,
    )
    return privsplit, presidio


async def run_row(coro) -> dict:
    from privsplit.shared.errors import PrivacyBlocked, PrivsplitError

    try:
        r = await coro
    except PrivacyBlocked as exc:
        return {
            "answer": "",
            "route": "blocked",
            "outbound": [],
            "prompt": 0,
            "completion": 0,
            "edge": 0.0,
            "total": 0.0,
            "blocked": list(exc.entity_types),
        }
    except PrivsplitError as exc:  # counted as a failed answer (nothing leaked: empty outbound)
        print(f"error: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return {
            "answer": "",
            "route": "error",
            "outbound": [],
            "prompt": 0,
            "completion": 0,
            "edge": 0.0,
            "total": 0.0,
            "error": type(exc).__name__,
        }
    return {
        "answer": r.answer,
        "route": r.route,
        "outbound": list(r.outbound),
        "prompt": r.cloud_usage.prompt_tokens,
        "completion": r.cloud_usage.completion_tokens,
        "edge": r.seconds_edge,
        "total": r.seconds_total,
    }


async def run_pupa(args, privsplit, presidio, records, out) -> list[dict]:
    from privsplit.shared.types import GenerationParams

    sampled = GenerationParams(max_tokens=args.max_tokens, temperature=0.7, seed=1234)
    earlier = reusable_rows(args)
    results = []
    for i, rec in enumerate(records, 1):
        started = time.perf_counter()
        old = earlier.get(rec["id"], {})
        row = {
            "id": rec["id"],
            "units": units_of(rec),
            "cloud_model": args.cloud_model,
            "max_tokens": args.max_tokens,
            "raw_a": old.get("raw_a") or await run_row(privsplit.ask_raw(rec["text"])),
            "raw_b": old.get("raw_b")
            or await run_row(privsplit.ask_raw(rec["text"], params=sampled)),
            "presidio": old.get("presidio") or await run_row(presidio.ask(rec["text"])),
            "privsplit": await run_row(privsplit.ask(rec["text"])),
        }
        results.append(row)
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
        print(
            f"pupa {i}/{len(records)} {rec['id']} {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
        )
    return results


def reusable_rows(args: argparse.Namespace) -> dict[str, dict]:
    """Baseline rows of earlier runs with the same cloud model and cloud max_tokens."""
    rows: dict[str, dict] = {}
    for path in args.reuse or ():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if (
                row.get("cloud_model", CLOUD_DEFAULT) != args.cloud_model
                or row.get("max_tokens", 128) != args.max_tokens
            ):
                continue
            if "raw_a" in row:
                rows[row["id"]] = row
            elif row.get("raw"):  # a long_docs task sent whole
                rows[f"doc:{row['task']}"] = row
    return rows


def plan_only(args: argparse.Namespace, records: list[dict]) -> None:
    """Leakage of what privsplit would send, without a cloud (``Pipeline.plan``)."""
    from privsplit.edge.privacy.vault import Vault
    from privsplit.edge.provider import build_pipeline
    from privsplit.edge.settings import EdgeSettings
    from privsplit.shared.errors import PrivacyBlocked

    settings = EdgeSettings.load(edge_model=args.edge_model)
    pipeline = build_pipeline(settings, offline=True)
    n_units = leaked = sent_nothing = 0
    started = time.perf_counter()
    out = args.out.open("w", encoding="utf-8") if args.out else None
    for i, rec in enumerate(records, 1):
        try:
            outbound = pipeline.plan(rec["text"], Vault())
        except PrivacyBlocked:
            outbound = []
        sent_nothing += not outbound
        units = units_of(rec)
        found = leaked_units(units, outbound)
        n_units, leaked = n_units + len(units), leaked + len(found)
        if out:
            out.write(
                json.dumps(
                    {"id": rec["id"], "units": units, "outbound": outbound}, ensure_ascii=False
                )
                + "\n"
            )
        if i % 25 == 0:
            print(f"plan {i}/{len(records)} leaked {leaked}/{n_units}", file=sys.stderr)
    seconds = time.perf_counter() - started
    command = " ".join(
        [".venv/bin/python", "bench/delegation/run.py", *map(shlex.quote, sys.argv[1:])]
    )
    print(f"command: {command}")
    print(
        f"edge model: {args.edge_model}; hide_terms={settings.pipeline.hide_terms} "
        f"hide_with_model={settings.pipeline.hide_with_model}\n"
    )
    print(
        "| row | queries | PII units >= 3 chars | leaked (whole word) | sent nothing (local/blocked) | edge s / query |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| privsplit plan (dry run) | {len(records)} | {n_units} | {leaked} = {leaked / max(n_units, 1):.1%} "
        f"| {sent_nothing} | {seconds / max(len(records), 1):.2f} |"
    )


async def run_docs(args, privsplit, tasks, out) -> list[dict]:
    results = []
    local = privsplit.local
    earlier = reusable_rows(args)
    for name in tasks:
        folder = args.long_docs / name
        task = json.loads((folder / "task.json").read_text())
        doc = (folder / "sample.txt").read_text(encoding="utf-8")
        started = time.perf_counter()
        row = {
            "task": name,
            "gold": task["answer"],
            "doc_chars": len(doc),
            "cloud_model": args.cloud_model,
            "max_tokens": args.max_tokens,
            "doc_tokens": local.count_tokens(task["question"] + "\n\n" + doc),
            "privsplit": await run_row(privsplit.ask(task["question"], documents=[doc])),
        }
        if f"doc:{name}" in earlier:
            row["raw"] = earlier[f"doc:{name}"]["raw"]
        elif args.no_raw_docs:
            row["raw"] = None
            row["raw_skipped"] = "not run (--no-raw-docs)"
        elif row["doc_tokens"] + args.max_tokens + 64 <= args.cloud_ctx:
            row["raw"] = await run_row(privsplit.ask_raw(task["question"], documents=[doc]))
        else:
            row["raw"] = None  # does not fit the cloud model's context: not sent
        results.append(row)
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
        print(f"doc {name} {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return results


def pupa_table(results: list[dict]) -> str:
    emb = Embedder()
    a = [r["raw_a"]["answer"] for r in results]
    base = emb.cosine([r["raw_b"]["answer"] for r in results], a)
    lines = [
        "| row | PII units leaked (whole word) | leaked (substring) | mean cos to A | mean quality ratio "
        "| queries with ratio >= 0.9 | cloud tokens / query (prompt + completion) | edge s / query "
        "| total s / query | blocked / failed |",
        "|" + "---|" * 10,
    ]
    n_units = sum(len(r["units"]) for r in results)
    for key, label in (
        ("raw_a", "raw query, T=0 (answer A, no protection)"),
        ("raw_b", "raw query, T=0.7 (answer B, no protection)"),
        ("presidio", "Presidio-only redaction"),
        ("privsplit", "privsplit"),
    ):
        rows = [r[key] for r in results]
        word = sum(len(leaked_units(r["units"], r[key]["outbound"])) for r in results)
        sub = sum(
            len(leaked_units(r["units"], r[key]["outbound"], whole_word=False)) for r in results
        )
        cos = emb.cosine([x["answer"] for x in rows], a)
        if key == "raw_a":
            quality, share = "1 (reference)", "-"
        else:
            ratios = [c / b if b > 0 else 0.0 for c, b in zip(cos, base)]
            quality = f"{mean(ratios):.3f}"
            share = f"{sum(x >= 0.9 for x in ratios) / len(ratios):.1%}"
        lines.append(
            f"| {label} | {word}/{n_units} = {word / max(n_units, 1):.1%} | {sub / max(n_units, 1):.1%} "
            f"| {mean(cos):.3f} | {quality} | {share} "
            f"| {mean(x['prompt'] for x in rows):.0f} + {mean(x['completion'] for x in rows):.0f} "
            f"| {mean(x['edge'] for x in rows):.1f} | {mean(x['total'] for x in rows):.1f} "
            f"| {sum(x['route'] == 'blocked' for x in rows)} / {sum(x['route'] == 'error' for x in rows)} |"
        )
    return "\n".join(lines)


def docs_table(results: list[dict]) -> str:
    lines = [
        "| task | document chars / tokens | row | correct | cloud tokens (prompt + completion) "
        "| share of whole-document tokens | edge s | total s |",
        "|" + "---|" * 8,
    ]
    for r in results:
        for key, label in (("raw", "raw (whole document)"), ("privsplit", "privsplit")):
            x = r[key]
            if x is None:
                why = r.get("raw_skipped", "not run: does not fit the cloud context")
                lines.append(
                    f"| {r['task']} | {r['doc_chars']:,} / {r['doc_tokens']:,} | {label} "
                    f"| {why} | {r['doc_tokens']:,} (counted) "
                    "| 100% | - | - |"
                )
                continue
            tokens = x["prompt"] + x["completion"]
            verdict = "yes" if exact_answer_correct(x["answer"], r["gold"]) else "no"
            if x["route"] in ("error", "blocked"):
                verdict = f"no ({x.get('error') or 'blocked'})"
            lines.append(
                f"| {r['task']} | {r['doc_chars']:,} / {r['doc_tokens']:,} | {label} "
                f"| {verdict} "
                f"| {x['prompt']:,} + {x['completion']:,} | {tokens / r['doc_tokens']:.1%} "
                f"| {x['edge']:.1f} | {x['total']:.1f} |"
            )
    return "\n".join(lines)


def report(args: argparse.Namespace) -> None:
    rows = [
        json.loads(line)
        for path in args.report
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    pupa = [r for r in rows if "raw_a" in r]
    docs = [r for r in rows if "task" in r]
    command = " ".join(
        [".venv/bin/python", "bench/delegation/run.py", *map(shlex.quote, sys.argv[1:])]
    )
    print(f"command: {command}")
    if pupa:
        print(
            f"\nPUPA ({len(pupa)} queries: {pupa[0]['id']} .. {pupa[-1]['id']}, "
            f"{sum(len(r['units']) for r in pupa)} PII units >= 3 chars)\n"
        )
        print(pupa_table(pupa))
    if docs:
        print(f"\nlong_docs ({', '.join(r['task'] for r in docs)})\n")
        print(docs_table(docs))


async def main(args: argparse.Namespace) -> None:
    import os

    from privsplit.cli.demo import start_cloud

    records = pupa_records(args)
    tasks = [t for t in args.tasks.split(",") if t.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="privsplit-bench-"))
    out_path = args.out or workdir / "results.jsonl"
    os.environ["PRIVSPLIT_CLOUD_N_CTX"] = str(args.cloud_ctx)
    os.environ["PRIVSPLIT_CLOUD_MAX_DEADLINE_SECONDS"] = "3600"  # a whole document takes long here
    proc, port = start_cloud(args.cloud_model, workdir / "cloud.log")
    try:
        privsplit, presidio = build(args, port)
        with out_path.open("w", encoding="utf-8") as out:
            pupa = await run_pupa(args, privsplit, presidio, records, out) if records else []
            docs = await run_docs(args, privsplit, tasks, out) if tasks else []
        await privsplit.cloud.close()
    finally:
        proc.terminate()
        proc.wait(30)
    command = " ".join(
        [".venv/bin/python", "bench/delegation/run.py", *map(shlex.quote, sys.argv[1:])]
    )
    print(f"\ncommand: {command}")
    print(
        f"edge model: {args.edge_model} (in process, llama.cpp); cloud model: {args.cloud_model} "
        f"(privsplit cloud serve, n_ctx {args.cloud_ctx}); cloud max_tokens {args.max_tokens}; "
        f"per-query results: {out_path}"
    )
    if args.reuse:
        print(
            "baseline rows (raw A, raw B, Presidio, whole documents) reused where present from: "
            + " ".join(map(str, args.reuse))
        )
    if pupa:
        print(
            f"\nPUPA ({args.pupa.name}, records {args.offset}..{args.offset + len(pupa) - 1}, "
            f"{len(pupa)} queries, {sum(len(r['units']) for r in pupa)} PII units >= 3 chars)\n"
        )
        print(pupa_table(pupa))
    if docs:
        print(f"\nlong_docs ({', '.join(tasks)})\n")
        print(docs_table(docs))


if __name__ == "__main__":
    parsed = parse_args()
    if parsed.report:
        report(parsed)
    elif parsed.plan_only:
        plan_only(parsed, pupa_records(parsed))
    else:
        asyncio.run(main(parsed))
