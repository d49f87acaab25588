"""bench/frontier: are the raw samples exchangeable, and what does a null answer score?

Reads the cached raw answers of the first ``--limit`` PUPA queries (A greedy, samples
j = 0..3 at T=0.7 with seeds ``sample_seed(j)``; run ``cloud_answers.py --samples 4`` first)
and prints, on the queries that have all of them:

- the mean cos(S_j, A) per seed: with one fixed seed per sample index, the draws are the same
  for every query, so a seed can be systematically closer to A than another;
- the single-sample null point averaged over every ordered pair of seeds (answer S_j,
  denominator S_l): an answer exactly as good as raw, with the seed's bias averaged out;
- the same with the denominator averaged over the three other samples;
- the greedy null point, where cached (``cloud_answers.py --greedy-null``): the request with
  its first space doubled (``meaning_free``), answered greedily like every setting's
  sanitized request, over B and over the mean of the first three samples.

    .venv/bin/python bench/frontier/seed_check.py --limit 200
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delegation"))

from cloud_answers import (  # noqa: E402
    DATA,
    DEFAULT_CACHE,
    AnswerCache,
    Answerer,
    cached_raw,
    meaning_free,
    pupa,
    sample_seed,
)
from quality import capped  # noqa: E402

SEEDS = 4


def _capped_mean_share(ratios: list[float]) -> str:
    return f"mean capped {mean(capped(x) for x in ratios):.3f}, " + (
        f">= 0.9 {mean(x >= 0.9 for x in ratios):.1%}"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = p.parse_args(argv)
    from metrics import Embedder

    answerer = Answerer(AnswerCache(args.cache))
    rows = []
    for rec in pupa(DATA / "pupa_new.jsonl", 0, args.limit):
        a, s = cached_raw(answerer, rec["text"], SEEDS)
        if a is not None and None not in s:
            changed = meaning_free(rec["text"]) != rec["text"]  # a text without spaces: no null
            g = answerer.cached(meaning_free(rec["text"])) if changed else None
            rows.append((a, s, g and g["answer"]))
    if not rows:
        raise SystemExit("no query has A and all samples cached")
    emb = Embedder()
    cos = [emb.cosine([s[j] for _, s, _ in rows], [a for a, _, _ in rows]) for j in range(SEEDS)]
    n = len(rows)
    print(f"{n} queries with A and {SEEDS} samples")
    for j in range(SEEDS):
        print(f"  seed {sample_seed(j)}: mean cos(sample, A) {mean(cos[j]):.3f}")

    def ratio(c: float, d: float) -> float:
        return c / d if d > 0 else 0.0

    pairs = [(j, k) for j in range(SEEDS) for k in range(SEEDS) if j != k]
    single = [ratio(cos[j][i], cos[k][i]) for j, k in pairs for i in range(n)]
    print(f"null, one-sample denominator, all seed pairs: {_capped_mean_share(single)}")
    for j in range(1, SEEDS):
        one = [ratio(cos[j][i], cos[0][i]) for i in range(n)]
        print(f"  answer seed {sample_seed(j)} / B: {_capped_mean_share(one)}")
    multi = [
        ratio(cos[j][i], mean(cos[k][i] for k in range(SEEDS) if k != j))
        for j in range(SEEDS)
        for i in range(n)
    ]
    print(f"null, {SEEDS - 1}-sample denominator, each seed as answer: {_capped_mean_share(multi)}")
    greedy = [i for i, (_, _, g) in enumerate(rows) if g]
    if greedy:
        cg = emb.cosine([rows[i][2] for i in greedy], [rows[i][0] for i in greedy])
        one = [ratio(c, cos[0][i]) for c, i in zip(cg, greedy)]
        three = [ratio(c, mean(cos[k][i] for k in range(SEEDS - 1))) for c, i in zip(cg, greedy)]
        same = sum(rows[i][2] == rows[i][0] for i in greedy)
        print(f"greedy null on {len(greedy)} queries ({same} answers identical to A):")
        print(f"  over B: {_capped_mean_share(one)}")
        print(f"  over {SEEDS - 1} samples: {_capped_mean_share(three)}")


if __name__ == "__main__":
    main()
