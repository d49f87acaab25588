"""bench/longdocs: privsplit on long private documents, retrieval on vs off, side by side.

Tasks: the seeded synthetic ones (``generate.py``: lookup, multi-hop, aggregation, unit
conversion over 20k-100k character documents) plus the four real long_docs tasks
(../shared/data/long_docs). Per task and mode: correct or not (every gold item in the answer,
bench/delegation's exact-answer rule), edge seconds, chunks read of the document's chunks,
cloud tokens against the whole document's tokens, and the document's private values found in
what was sent (must be 0; the real tasks carry no labels: n/a). The cloud is a real
``privsplit cloud serve`` on loopback; the edge model runs in this process.

    .venv/bin/python bench/longdocs/run.py --limit 6 --modes on,off

``--raw`` also sends the whole document with no protection (the baseline) where it fits
the cloud model's context; slow on CPU.

A long run can be resumed: with ``--resume --out FILE`` the rows already in FILE are kept, the
task/mode pairs they hold are not run again, new rows are appended, and the table covers all.
``--table --out FILE`` prints the table of FILE without running anything.

    nice -n 10 .venv/bin/python bench/longdocs/run.py --modes on --resume --out /tmp/ld.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "delegation"))

from generate import generate  # noqa: E402
from metrics import leaked_units  # noqa: E402
from score import correct  # noqa: E402

REPO = HERE.parents[1]
DATA = REPO.parent / "shared" / "data" / "long_docs"
REAL = ("health", "finance", "long_documents", "code")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--docs", type=int, default=20, help="Synthetic documents (3 tasks each).")
    p.add_argument("--tasks", default="", help="Task ids to run (comma list; default: all).")
    p.add_argument("--limit", type=int, default=None, help="First N selected tasks.")
    p.add_argument("--real", action="store_true", help="Add the four real long_docs tasks.")
    p.add_argument("--modes", default="on,off", help="pipeline.retrieval values to run.")
    p.add_argument(
        "--off-max-chars",
        type=int,
        default=None,
        help="Run retrieval=off only on documents up to this size (reading every chunk is slow).",
    )
    p.add_argument(
        "--off-tasks",
        default="",
        help="Run retrieval=off only on these task ids (comma list), side by side with on.",
    )
    p.add_argument(
        "--off-budget",
        type=float,
        default=None,
        help="pipeline.summarize_budget_seconds for retrieval=off (default: the setting's, "
        "which stops reading after 300 s: set it higher to read every chunk).",
    )
    p.add_argument(
        "--sample",
        type=int,
        default=None,
        help="A seeded subset of N generated tasks (--seed), each question type in proportion "
        "(the real tasks are all kept).",
    )
    p.add_argument("--edge-model", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    p.add_argument("--cloud-model", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    p.add_argument("--cloud-ctx", type=int, default=8192)
    p.add_argument("--max-tokens", type=int, default=96, help="Cloud tokens per answer.")
    p.add_argument("--raw", action="store_true", help="Also the whole-document baseline.")
    p.add_argument("--out", type=Path, default=None, help="Per-task JSONL results.")
    p.add_argument(
        "--resume",
        action="store_true",
        help="Keep the rows already in --out and run only the task/mode pairs they lack.",
    )
    p.add_argument("--table", action="store_true", help="Only print the table of --out.")
    p.add_argument("--list", action="store_true", help="Only list the selected tasks.")
    return p.parse_args(argv)


def select(args: argparse.Namespace) -> list[dict]:
    """The tasks, each with its document text and private values."""
    tasks = []
    for doc in generate(args.seed, args.docs):
        for t in doc.tasks:
            tasks.append({**t.__dict__, "text": doc.text})
    if args.real:
        for name in REAL:
            folder = DATA / name
            task = json.loads((folder / "task.json").read_text())
            text = (folder / "sample.txt").read_text(encoding="utf-8")
            tasks.append(
                {
                    "id": f"real-{name}",
                    "kind": "real",
                    "type": "real",
                    "question": task["question"],
                    "answer": task["answer"],
                    "doc": name,
                    "private": None,
                    "text": text,
                }
            )
    if args.tasks:
        wanted = set(args.tasks.split(","))
        tasks = [t for t in tasks if t["id"] in wanted]
    if args.sample is not None:  # the real tasks are always kept
        real = [t for t in tasks if t["kind"] == "real"]
        tasks = stratified([t for t in tasks if t["kind"] != "real"], args.sample, args.seed) + real
    return tasks[: args.limit] if args.limit is not None else tasks


def stratified(tasks: list[dict], n: int, seed: int) -> list[dict]:
    """``n`` tasks drawn with ``seed``, each type in proportion to its share (at least one
    of each type), in their original order."""
    rng = random.Random(seed)
    by_type: dict[str, list[int]] = {}
    for i, t in enumerate(tasks):
        by_type.setdefault(t["type"], []).append(i)
    quota = {k: max(1, round(n * len(v) / len(tasks))) for k, v in by_type.items()}
    chosen = [i for k, v in by_type.items() for i in rng.sample(v, min(quota[k], len(v)))]
    return [tasks[i] for i in sorted(chosen)]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_one(pipeline, task: dict) -> dict:
    from privsplit.edge.privacy.vault import Vault
    from privsplit.shared.errors import PrivsplitError

    read = [0, 0]

    def progress(_: str, done: int, total: int) -> None:
        read[:] = [done, total]

    started, cpu = time.perf_counter(), _cpu_seconds()
    try:
        r = await pipeline.ask(
            task["question"], vault=Vault(), documents=[task["text"]], progress=progress
        )
    except PrivsplitError as exc:
        return {"error": type(exc).__name__, "seconds": time.perf_counter() - started}
    private = task["private"]
    return {
        "answer": r.answer,
        "route": r.route,
        "correct": correct(r.answer, task["answer"], task["question"]),
        "edge": r.seconds_edge,
        # the edge runs in this process, the cloud in another: this process's CPU seconds are
        # the edge's work, much less sensitive than wall time to a busy shared machine
        "edge_cpu": round(_cpu_seconds() - cpu, 1),
        "total": r.seconds_total,
        "read": read[0],
        "prompt": r.cloud_usage.prompt_tokens,
        "completion": r.cloud_usage.completion_tokens,
        "outbound": list(r.outbound),
        "private_sent": None if private is None else leaked_units(private, r.outbound),
    }


def load_rows(path: Path) -> dict[str, dict]:
    """Rows of an earlier run by task id; a later line for the same task adds to it."""
    rows: dict[str, dict] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows[row["id"]] = rows.get(row["id"], {}) | row
    return rows


async def main(args: argparse.Namespace) -> None:
    from privsplit.cli.demo import start_cloud
    from privsplit.edge.pipeline.chunks import chunk_text
    from privsplit.edge.provider import build_pipeline
    from privsplit.edge.settings import EdgeSettings

    tasks = select(args)
    modes = [m for m in args.modes.split(",") if m]
    workdir = Path(tempfile.mkdtemp(prefix="privsplit-longdocs-"))
    out_path = args.out or workdir / "results.jsonl"
    earlier = load_rows(out_path) if args.resume else {}
    tasks = [t for t in tasks if any(m not in earlier.get(t["id"], {}) for m in modes)]
    os.environ["PRIVSPLIT_CLOUD_N_CTX"] = str(args.cloud_ctx)
    os.environ["PRIVSPLIT_CLOUD_MAX_DEADLINE_SECONDS"] = "3600"
    proc, port = start_cloud(args.cloud_model, workdir / "cloud.log")
    rows = list(earlier.values())
    try:
        settings = EdgeSettings.load(
            cloud_address=f"127.0.0.1:{port}",
            cloud_insecure=True,
            edge_model=args.edge_model,
            max_tokens=args.max_tokens,
            cloud_deadline_seconds=3600,
        )
        pipeline = build_pipeline(settings)
        base = settings.pipeline
        with out_path.open("a" if args.resume else "w", encoding="utf-8") as out:
            for i, task in enumerate(tasks, 1):
                chunks = len(
                    chunk_text(task["text"], size=base.chunk_chars, overlap=base.chunk_overlap)
                )
                row = earlier.get(task["id"], {}) | {
                    k: task[k] for k in ("id", "kind", "type", "question", "answer", "doc")
                }
                row |= {
                    "doc_chars": len(task["text"]),
                    "doc_tokens": pipeline.local.count_tokens(task["text"]),
                    "chunks": chunks,
                }
                for mode in modes:
                    if mode in row:  # done in the run being resumed
                        continue
                    if mode == "off" and (
                        (args.off_max_chars and len(task["text"]) > args.off_max_chars)
                        or (args.off_tasks and task["id"] not in args.off_tasks.split(","))
                    ):
                        row[mode] = None
                        continue
                    update: dict = {"retrieval": mode}
                    if mode == "off" and args.off_budget:
                        update["summarize_budget_seconds"] = args.off_budget
                    pipeline.settings = base.model_copy(update=update)
                    row[mode] = await run_one(pipeline, task)
                    print(
                        f"{i}/{len(tasks)} {task['id']} retrieval={mode} "
                        f"correct={row[mode].get('correct')} edge={row[mode].get('edge', 0):.0f}s "
                        f"read={row[mode].get('read')}/{chunks}",
                        file=sys.stderr,
                    )
                if args.raw and row["doc_tokens"] + args.max_tokens + 64 <= args.cloud_ctx:
                    if "raw" not in row:
                        raw = await pipeline.ask_raw(task["question"], documents=[task["text"]])
                        row["raw"] = {
                            "answer": raw.answer,
                            "correct": correct(raw.answer, task["answer"], task["question"]),
                            "prompt": raw.cloud_usage.prompt_tokens,
                            "completion": raw.cloud_usage.completion_tokens,
                        }
                        print(
                            f"{i}/{len(tasks)} {task['id']} raw correct={row['raw']['correct']}",
                            file=sys.stderr,
                        )
                rows = [r for r in rows if r["id"] != row["id"]] + [row]
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
        await pipeline.cloud.close()
    finally:
        proc.terminate()
        proc.wait(30)
    command = " ".join(
        [".venv/bin/python", "bench/longdocs/run.py", *map(shlex.quote, sys.argv[1:])]
    )
    print(f"command: {command}")
    print(
        f"edge model {args.edge_model} (in process); cloud {args.cloud_model} (loopback, n_ctx "
        f"{args.cloud_ctx}); {len(rows)} tasks; per-task results: {out_path}\n"
    )
    print(table(rows, modes))


def _cpu(x: dict) -> str:
    return f" ({x['edge_cpu']:.0f})" if "edge_cpu" in x else ""


def table(rows: list[dict], modes: list[str]) -> str:
    _rescored(rows, modes)
    lines = [
        "| task | type | doc chars | retrieval | correct | chunks read | edge s (CPU s) "
        "| cloud tokens (share of doc) | private values sent |",
        "|" + "---|" * 9,
    ]
    for r in rows:
        for mode in modes:
            x = r.get(mode)
            if x is None:
                lines.append(
                    f"| {r['id']} | {r['type']} | {r['doc_chars']:,} | {mode} | not run |||||"
                )
                continue
            if "error" in x:
                lines.append(
                    f"| {r['id']} | {r['type']} | {r['doc_chars']:,} | {mode} | error {x['error']} |||||"
                )
                continue
            tokens = x["prompt"] + x["completion"]
            sent = "n/a" if x["private_sent"] is None else str(len(x["private_sent"]))
            lines.append(
                f"| {r['id']} | {r['type']} | {r['doc_chars']:,} | {mode} "
                f"| {'yes' if x['correct'] else 'no'} | {x['read']}/{r['chunks']} "
                f"| {x['edge']:.1f}{_cpu(x)} | {tokens:,} ({tokens / max(r['doc_tokens'], 1):.1%}) "
                f"| {sent} |"
            )
    lines.append("")
    lines.append(by_type(rows, modes))
    return "\n".join(lines)


def _rescored(rows: list[dict], modes: list[str]) -> None:
    """Correctness from the stored answers with this version's scorer (rows of an earlier run
    were scored by the one of their day)."""
    for r in rows:
        for mode in [*modes, "raw"]:
            x = r.get(mode)
            if x and "answer" in x:
                x["correct"] = correct(x["answer"], r["answer"], r["question"])


def by_type(rows: list[dict], modes: list[str]) -> str:
    """Per question type and mode: correct/total, mean edge s (CPU s), chunks read, cloud
    tokens as a share of the document, private values sent; raw: correct/total, tokens."""
    lines = [
        "| type | mode | correct | edge s mean (CPU s) | chunks read | cloud tokens (share of doc) "
        "| private values sent |",
        "|" + "---|" * 7,
    ]
    types = sorted({r["type"] for r in rows}) + ["all"]
    for mode in [*modes, "raw"]:
        for t in types:
            group = [
                r
                for r in rows
                if t in ("all", r["type"]) and r.get(mode) and "error" not in r[mode]
            ]
            if not group:
                continue
            xs = [r[mode] for r in group]
            ok = sum(bool(x["correct"]) for x in xs)
            tokens = sum(x["prompt"] + x.get("completion", 0) for x in xs)
            doc = sum(r["doc_tokens"] for r in group)
            share = f"{tokens:,} ({tokens / max(doc, 1):.1%})"
            if mode == "raw":
                lines.append(f"| {t} | raw | {ok}/{len(xs)} | - | whole | {share} | all |")
                continue
            edge = sum(x["edge"] for x in xs) / len(xs)
            cpu = [x["edge_cpu"] for x in xs if "edge_cpu" in x]
            cpu_s = f" ({sum(cpu) / len(cpu):.0f})" if cpu else ""
            read = sum(x["read"] for x in xs) / len(xs)
            chunks = sum(r["chunks"] for r in group) / len(group)
            sent = sum(len(x["private_sent"] or []) for x in xs)
            lines.append(
                f"| {t} | {mode} | {ok}/{len(xs)} ({ok / len(xs):.0%}) | {edge:.0f}{cpu_s} "
                f"| {read:.1f} of {chunks:.0f} | {share} | {sent} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    parsed = parse_args()
    if parsed.table:
        if parsed.out is None:
            raise SystemExit("--table needs --out FILE")
        print(table(list(load_rows(parsed.out).values()), parsed.modes.split(",")))
    elif parsed.list:
        for t in select(parsed):
            print(t["id"], t["type"], len(t["text"]), t["question"], t["answer"], sep=" | ")
    else:
        asyncio.run(main(parsed))
