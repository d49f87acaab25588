"""bench/frontier: the quality ratio, measured three ways, and the null point that calibrates it.

For query i, A_i is the raw query answered greedily, S_i0 (answer B), S_i1, ... the raw query
sampled at T=0.7 with seeds ``cloud_answers.sample_seed(j)``, X_i the cloud's answer to the
sanitized query with the placeholders restored, and c_i = cos(X_i, A_i) (all-MiniLM-L6-v2;
a blocked query answers "" and scores 0). Contract: ``reference(...)`` computes the raw
side once; ``score(ref, idx, cos)`` returns, for the queries ``idx`` with cosines ``cos``
(the single-sample figures on those with B cached, ``quality_n``; the k-sample ones on those
with all k samples cached, ``quality_n_k``):

- ``quality`` / ``quality_uncapped`` / ``share_ge_0_9``: the first definition, kept as it
  was: r_i = c_i / cos(S_i0, A_i), capped at 1 per query. Its denominator is one sample.
  Every capped mean also floors r_i at 0: an answer pointing away from A (a negative cosine)
  is an unrelated answer, worth nothing; divided by a small denominator it would otherwise
  count as -5 and outweigh five good answers (seen with the 1.5B cloud model).
- ``quality_k`` / ``share_k``: r_i = c_i / mean over j < k of cos(S_ij, A_i), capped at 1:
  the same ratio with the denominator averaged over k samples.
- ``ratio_of_means``: sum of c_i / sum of the k-sample denominators over the same queries,
  uncapped (a query with a small denominator cannot weigh more than another).

The null point ("raw-resample") answers every query with S_ik, one more sample that is in no
denominator: an answer exactly as good as raw by construction. What it scores is the
metric's ceiling, the figure a setting that loses nothing would get. Caveat, measured by
``seed_check.py``: one fixed seed per sample index draws the same random numbers for every
query, so the samples are not exchangeable (mean cos to A by seed 1234..1237: 0.750, 0.682,
0.737, 0.833 on 131 queries); the table's null row (seed 1237) is therefore optimistic.
Averaged over every pair of seeds the null scores 0.879 capped, 73% >= 0.9 with one sample
and 0.876, 73% with three. The settings' answers are greedy, and the greedy null (the request
with its first space doubled, answered greedily) scores 0.977, 97% on 72 queries: their loss
is not the metric's noise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import mean


@dataclass(frozen=True)
class Reference:
    """The raw side of every ratio, per quality-record index."""

    k: int
    single: dict[int, float]  # cos(S_i0, A_i): the first definition's denominator
    multi: dict[int, float]  # mean over j < k of cos(S_ij, A_i), where all k are cached
    null_answers: dict[int, str]  # S_ik, where cached (and the k before it)

    @property
    def scored(self) -> list[int]:
        """Indexes with A and B: the queries the single-sample figures cover."""
        return sorted(self.single)


def reference(
    emb, a_answers: list[str | None], samples: list[list[str | None]], k: int
) -> Reference:
    """``samples[i]``: the raw samples of query i in seed order (None where not cached)."""
    pairs = [
        (i, j)
        for i, (a, s) in enumerate(zip(a_answers, samples))
        if a
        for j in range(min(k, len(s)))
        if s[j]
    ]
    cos = emb.cosine([samples[i][j] for i, j in pairs], [a_answers[i] for i, _ in pairs])
    per: dict[int, dict[int, float]] = {}
    for (i, j), c in zip(pairs, cos):
        per.setdefault(i, {})[j] = c
    full = [i for i in per if len(per[i]) == k]
    return Reference(
        k=k,
        single={i: per[i][0] for i in per if 0 in per[i]},
        multi={i: mean(per[i].values()) for i in full},
        null_answers={i: samples[i][k] for i in full if len(samples[i]) > k and samples[i][k]},
    )


def _ratio(c: float, denominator: float) -> float:
    return c / denominator if denominator > 0 else 0.0


def score(ref: Reference, idx: list[int], cos: list[float], *, identity: bool = False) -> dict:
    """Every figure of the module docstring for queries ``idx`` (cosines ``cos``, in the same
    order), and the per-query ratios (``single``, ``multi``: index -> ratio). ``identity``:
    the answers are A itself (the raw row), 1.0 by definition."""
    pairs = list(zip(idx, cos))
    one = [(i, c) for i, c in pairs if i in ref.single]
    many = [(i, c) for i, c in pairs if i in ref.multi]
    if identity:
        single = {i: 1.0 for i, _ in one}
        multi = {i: 1.0 for i, _ in many}
        of_means = 1.0 if many else None
    else:
        single = {i: _ratio(c, ref.single[i]) for i, c in one}
        multi = {i: _ratio(c, ref.multi[i]) for i, c in many}
        denominators = sum(ref.multi[i] for i, _ in many)
        of_means = _ratio(sum(c for _, c in many), denominators) if many else None
    return {
        # capped at 1 per query: a near-unrelated resample (a small denominator) must not let
        # one query outweigh the others
        **_capped(single.values(), ""),
        "quality_uncapped": mean(single.values()) if single else None,
        **_capped(multi.values(), "_k"),
        "ratio_of_means": of_means,
        "single": single,
        "multi": multi,
    }


def capped(ratio: float) -> float:
    """One query's ratio as every mean here counts it: floored at 0, capped at 1."""
    return min(max(ratio, 0.0), 1.0)


def _capped(ratios: Iterable[float], suffix: str) -> dict:
    """Mean of the ratios capped at 1, the share >= 0.9 and their count."""
    ratios = list(ratios)
    share = "share_ge_0_9" if not suffix else f"share{suffix}"
    if not ratios:
        return {f"quality{suffix}": None, share: None, f"quality_n{suffix}": 0}
    return {
        f"quality{suffix}": mean(capped(x) for x in ratios),
        share: sum(x >= 0.9 for x in ratios) / len(ratios),
        f"quality_n{suffix}": len(ratios),
    }
