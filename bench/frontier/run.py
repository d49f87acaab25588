"""bench/frontier: the privacy-utility frontier on PUPA (leakage vs answer quality).

For every policy setting in ``SETTINGS`` (and the points raw, Presidio-only and PUPA's own
reference redaction) it measures

- leakage: PUPA's labeled PII units (>= 3 characters) found as whole words in what would be
  sent (dry run, no cloud: ``leakage.plan_records``), on the whole development set;
- the quality ratio on the first ``--quality-limit`` queries: cos(answer, raw answer A) /
  cos(raw answer B, A) with all-MiniLM-L6-v2 (as ``bench/delegation``), where A is the raw
  query answered greedily, B the raw query sampled at T=0.7, and the answer is the cloud's
  answer to the sanitized text with the placeholders restored. A blocked query scores 0.
  Beside it (``quality.py``): the same ratio with the denominator averaged over
  ``--samples`` raw samples, and the ratio of means; and the null point ``raw-resample``
  (one more raw sample as the answer: as good as raw by construction), which shows what the
  metric gives a setting that loses nothing (its figures: ``frontier.md``).

Cloud answers come from a real ``privsplit cloud serve`` (``answers.Answerer``, default the
0.5B model, 64 tokens) and are cached on disk by (model, max_tokens, exact text): a setting
only pays for the queries whose sanitized text is new. ``--no-generate`` scores only what
is cached (the table says on how many queries). Plans are cached per setting in
``--out-dir`` (``--replan`` redoes them). It writes ``frontier.md`` and ``frontier.png``.

    .venv/bin/python bench/frontier/run.py --quality-limit 200
    .venv/bin/python bench/frontier/run.py --settings default,terms-off --limit 50 --no-generate
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cloud_answers import (  # noqa: E402
    CLOUD_MODEL,
    DATA,
    DEFAULT_CACHE,
    DEFAULT_SAMPLES,
    MAX_TOKENS,
    SAMPLED_TEMPERATURE,
    AnswerCache,
    Answerer,
    cached_raw,
    pupa,
    sample_seed,
    stop_on_sigterm,
)
from frontier_plans import plan_is_current, plans_for  # noqa: E402
from frontier_report import write_png, write_table  # noqa: E402
from frontier_settings import (  # noqa: E402
    BASELINES,
    DEFAULT_SETTING,
    NULL_POINT,
    POINTS,
    SETTINGS,
    uses_model,
    uses_stand_ins,
)
from plan_leakage import restore, summary  # noqa: E402
from quality import capped, reference, score  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--pupa", type=Path, default=DATA / "pupa_new.jsonl")
    p.add_argument("--start", type=int, default=0, help="First PUPA record.")
    p.add_argument("--limit", type=int, default=None, help="Records for leakage (default all).")
    p.add_argument(
        "--quality-limit", type=int, default=200, help="First N of them scored for quality."
    )
    p.add_argument(
        "--model-limit",
        type=int,
        default=None,
        help="Records for settings that run the edge model hider (~6 s a query).",
    )
    p.add_argument(
        "--model-on-leaks",
        default=None,
        metavar="BASE",
        help="With --model-limit: also plan model settings on every record where the setting "
        "BASE (without the model, listed before) leaks, and take BASE's rows elsewhere (the "
        "hider only adds hiding), so leakage covers all records.",
    )
    p.add_argument(
        "--settings",
        default=",".join([*SETTINGS, *BASELINES]),
        help="Comma list of settings and points to measure.",
    )
    p.add_argument(
        "--generate",
        default=f"raw,{DEFAULT_SETTING}",
        help="Settings whose missing answers are generated (others: cache only).",
    )
    p.add_argument("--no-generate", action="store_true", help="Score cached answers only.")
    p.add_argument(
        "--samples",
        type=int,
        default=DEFAULT_SAMPLES,
        help="Raw samples averaged in the second denominator (sample 0 is B; one more is the "
        "null point's answer).",
    )
    p.add_argument("--cloud-model", default=CLOUD_MODEL)
    p.add_argument("--max-tokens", type=int, default=MAX_TOKENS)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent / "out")
    p.add_argument("--replan", action="store_true", help="Recompute cached plans.")
    p.add_argument(
        "--replan-stale",
        action="store_true",
        help="Recompute the cached plans made by other code (the table marks the rest).",
    )
    p.add_argument("--png", type=Path, default=None, help="Default: OUT_DIR/frontier.png.")
    p.add_argument("--table", type=Path, default=None, help="Default: OUT_DIR/frontier.md.")
    return p.parse_args(argv)


async def answer_rows(
    rows: list[dict], answerer: Answerer, *, generate: bool, stand_ins: bool = False
) -> list[str | None]:
    """The restored answer per row ('' when blocked; None when not cached and not generated).
    With ``stand_ins`` the cloud is asked as the product asks it (``privacy.standins``: the
    same choice from the same text and values) and its answer decoded before the restore."""
    from privsplit.edge.privacy.standins import StandIns

    out: list[str | None] = []
    for i, r in enumerate(rows, 1):
        if not r["outbound"]:
            out.append("")
            continue
        wire = StandIns()
        if stand_ins:
            wire = StandIns.choose(r["outbound"], r["vault"].get, r["hidden"])
        texts = []
        for query in r["outbound"]:
            hit = answerer.cached(wire.encode(query))
            if hit is None and generate:
                hit = await answerer.answer(wire.encode(query))
                print(f"  answered {i}/{len(rows)} {r['id']}", file=sys.stderr, flush=True)
            texts.append(None if hit is None else restore(wire.decode(hit["answer"]), r["vault"]))
        out.append(None if None in texts else "\n\n".join(texts))  # type: ignore[arg-type]
    return out


def model_records(
    records: list[dict], plans: dict[str, list[dict]], args: argparse.Namespace
) -> list[dict]:
    """The records a model setting is planned on: the first ``--model-limit`` (all without
    it) and, with ``--model-on-leaks BASE``, every record where BASE's plan leaks, first."""
    first = records[: args.model_limit] if args.model_limit else records
    if not args.model_on_leaks:
        return first
    if args.model_on_leaks not in plans:
        raise SystemExit(f"--model-on-leaks {args.model_on_leaks}: list it before in --settings")
    leaking = {r["id"] for r in plans[args.model_on_leaks] if r["leaked"]}
    head = [r for r in records if r["id"] in leaking]
    return head + [r for r in first if r["id"] not in leaking]


def fill_from_base(
    rows: list[dict], records: list[dict], base: list[dict], args: argparse.Namespace
) -> list[dict]:
    """A model setting's rows on every record: its own plan where made, else BASE's row, on
    records where BASE leaks nothing. The model hider only ever adds placeholders (whole
    words), so the setting leaks nothing there either: its leakage over all records is
    exact. Its other columns (hidden words, blocked) count BASE there, and quality is
    scored on its own plans only."""
    own = {r["id"]: r for r in rows}
    by_id = {r["id"]: r for r in base}
    out = []
    for rec in records:
        row = own.get(rec["id"])
        if row is None:
            row = {**by_id[rec["id"]], "from": args.model_on_leaks}
            if row["leaked"]:
                raise ValueError(f"{rec['id']}: {args.model_on_leaks} leaks there; plan it")
        out.append(row)
    return out


def describe(name: str, planned: int, rows: int, args: argparse.Namespace) -> str:
    text = SETTINGS[name][1] if name in SETTINGS else POINTS[name]
    if planned < rows:
        text += (
            f"; model run on {planned} of {rows} queries (every one where "
            f"{args.model_on_leaks} leaks + the first {args.model_limit}), "
            f"{args.model_on_leaks}'s plan elsewhere"
        )
    return text


async def measure(args: argparse.Namespace) -> list[dict]:
    records = pupa(args.pupa, args.start, args.limit)
    quality_records = records[: args.quality_limit]
    names = [n.strip() for n in args.settings.split(",") if n.strip()]
    generate = set() if args.no_generate else {g.strip() for g in args.generate.split(",")}
    answerer = Answerer(AnswerCache(args.cache), model=args.cloud_model, max_tokens=args.max_tokens)
    results = []
    try:
        plans: dict[str, list[dict]] = {}
        planned: dict[str, set[str]] = {}  # ids each setting's own plan covers
        for name in names:
            recs = records
            if name in SETTINGS and uses_model(name):
                recs = model_records(records, plans, args)
            rows = plans_for(name, recs, args)
            planned[name] = {r["id"] for r in rows}
            if len(rows) < len(records) and args.model_on_leaks:
                plans[name] = fill_from_base(rows, records, plans[args.model_on_leaks], args)
            else:
                plans[name] = rows
        # generation, query by query (raw A, raw B, then each setting to generate), so that a
        # stopped run leaves whole queries and the cloud's prompt cache serves the shared start
        to_generate = [n for n in names if n in generate and n != "raw"]
        if generate:
            for i, rec in enumerate(quality_records):
                if "raw" in generate:
                    await answerer.answer(rec["text"])
                    for j in range(args.samples + (NULL_POINT in names)):
                        await answerer.answer(
                            rec["text"], temperature=SAMPLED_TEMPERATURE, seed=sample_seed(j)
                        )
                for name in to_generate:
                    if i < len(plans[name]) and plans[name][i]["id"] in planned[name]:
                        row = plans[name][i]
                        await answer_rows(
                            [row], answerer, generate=True, stand_ins=uses_stand_ins(name)
                        )
                print(
                    f"generated {i + 1}/{len(quality_records)} {rec['id']} "
                    f"(new answers so far {answerer.generated})",
                    file=sys.stderr,
                    flush=True,
                )
        # raw answers A (greedy) and the samples (B first) are the reference of every ratio
        raw = [cached_raw(answerer, rec["text"], args.samples + 1) for rec in quality_records]
        a_answers = [a for a, _ in raw]
        samples = [s for _, s in raw]
        from metrics import Embedder

        emb = Embedder()
        ref = reference(emb, a_answers, samples, args.samples)
        for name in names:
            rows = plans[name]
            leak = summary(rows)
            if name == "raw":
                answers = a_answers
            elif name == NULL_POINT:
                answers = [ref.null_answers.get(i) for i in range(len(quality_records))]
            else:
                answers = await answer_rows(
                    rows[: len(quality_records)],
                    answerer,
                    generate=False,
                    stand_ins=uses_stand_ins(name),
                )
            idx = [
                i
                for i in ref.scored
                if i < len(answers) and answers[i] is not None and rows[i]["id"] in planned[name]
            ]
            cos = emb.cosine([answers[i] for i in idx], [a_answers[i] for i in idx]) if idx else []
            figures = score(ref, idx, cos, identity=name == "raw")
            ids = {i: rows[i]["id"] for i in idx}
            results.append(
                {
                    "name": name,
                    "description": describe(name, len(planned[name]), len(rows), args),
                    "default": name == DEFAULT_SETTING,
                    "point": name in BASELINES,
                    "stale": not plan_is_current(name, args),
                    **leak,
                    "planned": len(planned[name]),
                    "samples": args.samples,
                    **{k: v for k, v in figures.items() if k not in ("single", "multi")},
                    "ratios": {ids[i]: x for i, x in figures["single"].items()},
                    "ratios_k": {ids[i]: x for i, x in figures["multi"].items()},
                }
            )
            print(
                f"{name}: "
                + json.dumps({k: v for k, v in results[-1].items() if not k.startswith("ratios")}),
                file=sys.stderr,
                flush=True,
            )
    finally:
        await answerer.close()
    paired_with_default(results)
    return results


def paired_with_default(results: list[dict]) -> None:
    """Each row's quality minus the default's on the queries both have answers for (the rows'
    own figures cover different queries: those whose sanitized text was answered), with the
    single-sample ratio and with the k-sample one; each ratio counted as the means count it
    (``quality.capped``)."""
    default = next((r for r in results if r["default"]), None)
    for r in results:
        for key, field in (("paired_delta", "ratios"), ("paired_delta_k", "ratios_k")):
            common = (
                []
                if default is None
                else sorted(set(r.get(field, {})) & set(default.get(field, {})))
            )
            r["paired_n" if field == "ratios" else "paired_n_k"] = len(common)
            r[key] = (
                mean(capped(r[field][i]) - capped(default[field][i]) for i in common)
                if common
                else None
            )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    stop_on_sigterm()
    results = asyncio.run(measure(args))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "frontier.json").write_text(json.dumps(results, indent=1), "utf-8")
    command = " ".join(
        [".venv/bin/python", "bench/frontier/run.py", *map(shlex.quote, sys.argv[1:])]
    )
    note = (
        f"command: `{command}`; cloud {args.cloud_model}, max_tokens {args.max_tokens}; "
        f"PUPA records {args.start}.. (leakage: all measured records; quality: the first "
        f"{args.quality_limit} that have answers); {args.samples}-sample denominator"
    )
    table = write_table(results, args.table or args.out_dir / "frontier.md", note=note)
    write_png(results, args.png or args.out_dir / "frontier.png")
    print(table)


if __name__ == "__main__":
    main()
