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
    pupa,
    sample_seed,
    stop_on_sigterm,
)
from frontier_report import write_png, write_table  # noqa: E402
from plan_leakage import plan_records, restore, summary  # noqa: E402
from quality import reference, score  # noqa: E402

NO_MODEL = {"hide_with_model": False}
# name -> (edge settings overrides, description). The default is "default".
SETTINGS: dict[str, tuple[dict, str]] = {
    "engine-only": (
        {"pipeline": {**NO_MODEL, "hide_terms": False}},
        "detectors only (no term pass, no model)",
    ),
    "shift-1.0": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": -1.0}}},
        "term pass, thresholds -1.0 (hides fewer words)",
    ),
    "shift-0.5": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": -0.5}}},
        "term pass, thresholds -0.5",
    ),
    "places-rare": (
        {"pipeline": {**NO_MODEL, "terms": {"places": "rare"}}},
        "term pass; places judged by frequency (session-2 behaviour)",
    ),
    "places-allow": (
        {"pipeline": {**NO_MODEL, "terms": {"places": "allow"}}},
        "term pass; countries and large cities never hidden",
    ),
    "no-allow-lists": (
        {"pipeline": {**NO_MODEL, "terms": {"allow": []}}},
        "term pass; no language/drug/procedure allow-lists",
    ),
    "english-words-off": (
        {"pipeline": {**NO_MODEL, "terms": {"english_words": False}}},
        "term pass; rare lowercase English vocabulary judged by frequency like any word",
    ),
    "no-model": (
        {"pipeline": NO_MODEL},
        "pipeline.terms defaults (shift 0, places hidden, allow-lists, name cues); model hider off",
    ),
    "shift+0.5": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": 0.5}}},
        "term pass, thresholds +0.5 (hides more words)",
    ),
    "shift+1.0": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": 1.0}}},
        "term pass, thresholds +1.0",
    ),
    "default": (
        {},
        "the product's defaults (edge/pipeline/settings.py): no-model + the edge model hider (0.5B)",
    ),
}
DEFAULT_SETTING = "default"
# the code that decides what is sent: a plan made with other code is marked stale
PLAN_CODE = ("edge/privacy", "edge/pipeline")
NULL_POINT = "raw-resample"
BASELINES = ("raw", NULL_POINT, "presidio", "pupa-reference")
POINTS = {
    "raw": "the request as it is (answer A: the reference)",
    NULL_POINT: "the request as it is, answered by one more raw sample (T=0.7, a seed in no "
    "denominator): a sampled null point, optimistic with this seed (seed_check.py)",
    "presidio": "Presidio's default recognizers + spaCy, placeholders restored",
    "pupa-reference": "PUPA's own redaction ([REDACTED], nothing restored)",
}


def uses_model(name: str) -> bool:
    """The setting runs the edge model hider (its own override, else the product default)."""
    from privsplit.edge.pipeline.settings import PipelineSettings

    pipeline = SETTINGS[name][0].get("pipeline", {})
    return pipeline.get("hide_with_model", PipelineSettings().hide_with_model)


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


def code_fingerprint() -> str:
    """sha256 over the sources and data files of ``PLAN_CODE`` (what a plan depends on)."""
    import hashlib

    repo = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for folder in PLAN_CODE:
        for f in sorted((repo / folder).rglob("*")):
            if f.is_file() and f.suffix in (".py", ".txt", ".yaml", ".json", ".md"):
                h.update(str(f.relative_to(repo)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def plan_is_current(name: str, args: argparse.Namespace) -> bool:
    """The setting's cached plan was made by the code as it is now (raw and PUPA's reference
    do not depend on it; a plan from before this stamp existed counts as stale)."""
    if name in ("raw", NULL_POINT, "pupa-reference"):
        return True
    meta = args.out_dir / f"plan-{name}.code"
    return meta.exists() and meta.read_text("utf-8").strip() == code_fingerprint()


def plans_for(name: str, records: list[dict], args: argparse.Namespace) -> list[dict]:
    """The setting's plan rows, from ``--out-dir`` where already computed for these ids
    (``--replan``, or ``--replan-stale`` when the code has changed since: recomputed).
    Rows are appended to the file as they are made, so a stopped run resumes where it was;
    a plan completed by other code than it was started with keeps its old (stale) stamp."""
    path = args.out_dir / f"plan-{name}.jsonl"
    meta = args.out_dir / f"plan-{name}.code"
    fresh = args.replan or (args.replan_stale and not plan_is_current(name, args))
    rows: dict[str, dict] = {}
    if path.exists() and not fresh:
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # the last line of a run stopped mid-write
                    continue
                rows[row["id"]] = row
    missing = [r for r in records if r["id"] not in rows]
    if missing:
        print(
            f"planning {name} on {len(missing)} records ({len(rows)} cached)",
            file=sys.stderr,
            flush=True,
        )
        args.out_dir.mkdir(parents=True, exist_ok=True)
        if not rows:  # a new plan: stamped with the code that makes it
            meta.write_text(code_fingerprint() + "\n", "utf-8")
        with path.open("w", encoding="utf-8") as f:  # the rows kept, then the new ones
            for r in rows.values():
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

            def save(row: dict) -> None:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                f.flush()
                rows[row["id"]] = row

            if name in ("raw", NULL_POINT):
                for r in baseline_rows(missing, lambda r: [r["text"]]):
                    save(r)
            elif name == "pupa-reference":
                for r in baseline_rows(missing, lambda r: [r["reference_redacted"]]):
                    save(r)
            elif name == "presidio":
                for r in presidio_rows(missing):
                    save(r)
            else:
                plan_records(SETTINGS[name][0], missing, on_row=save)
    return [rows[r["id"]] for r in records]


def _row(rec: dict, sent: list[str], vault: dict[str, str]) -> dict:
    """One plan row for a request sent as ``sent`` by a non-privsplit baseline."""
    from plan_leakage import leaked_units, units_of

    units = units_of(rec)
    return {
        "id": rec["id"],
        "route": "cloud",
        "outbound": sent,
        "units": units,
        "leaked": leaked_units(units, sent),
        "hidden": [],
        "over_hidden": [],
        "vault": vault,
        "seconds": 0.0,
    }


def baseline_rows(records: list[dict], outbound) -> list[dict]:
    return [_row(rec, outbound(rec), {}) for rec in records]


def presidio_rows(records: list[dict]) -> list[dict]:
    """Presidio's default recognizers + spaCy, placeholders as privsplit's vault writes them."""
    from privsplit.edge.pipeline import Redactor
    from privsplit.edge.privacy.detectors import create_detector
    from privsplit.edge.privacy.vault import Vault

    redactor = Redactor(detectors=[create_detector("presidio")])
    rows = []
    for rec in records:
        vault = Vault()
        sent = [redactor.redact(rec["text"], vault).text]
        rows.append(_row(rec, sent, {p: vault.value_of(p) for p in _placeholders(sent)}))
    return rows


def _placeholders(sent: list[str]) -> list[str]:
    from plan_leakage import _placeholders as found

    return found(sent)


async def answer_rows(rows: list[dict], answerer: Answerer, *, generate: bool) -> list[str | None]:
    """The restored answer per row ('' when blocked; None when not cached and not generated)."""
    out: list[str | None] = []
    for i, r in enumerate(rows, 1):
        if not r["outbound"]:
            out.append("")
            continue
        texts = []
        for query in r["outbound"]:
            hit = answerer.cached(query)
            if hit is None and generate:
                hit = await answerer.answer(query)
                print(f"  answered {i}/{len(rows)} {r['id']}", file=sys.stderr, flush=True)
            texts.append(None if hit is None else restore(hit["answer"], r["vault"]))
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
                        await answer_rows([plans[name][i]], answerer, generate=True)
                print(
                    f"generated {i + 1}/{len(quality_records)} {rec['id']} "
                    f"(new answers so far {answerer.generated})",
                    file=sys.stderr,
                    flush=True,
                )
        # raw answers A (greedy) and the samples (B first) are the reference of every ratio
        a_answers = [_cached_answer(answerer, rec["text"]) for rec in quality_records]
        samples = [
            [_cached_answer(answerer, rec["text"], sample_seed(j)) for j in range(args.samples + 1)]
            for rec in quality_records
        ]
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
                answers = await answer_rows(rows[: len(quality_records)], answerer, generate=False)
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


def _cached_answer(answerer: Answerer, text: str, seed: int | None = None) -> str | None:
    """Raw answer A (``seed`` None) or raw sample ``seed``, from the cache only."""
    if seed is None:
        hit = answerer.cached(text)
    else:
        hit = answerer.cached(text, temperature=SAMPLED_TEMPERATURE, seed=seed)
    return None if hit is None else hit["answer"]


def paired_with_default(results: list[dict]) -> None:
    """Each row's quality minus the default's on the queries both have answers for (the rows'
    own figures cover different queries: those whose sanitized text was answered), with the
    single-sample ratio and with the k-sample one."""
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
                mean(min(r[field][i], 1.0) - min(default[field][i], 1.0) for i in common)
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
