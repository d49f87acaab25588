"""Scoring of bench/collaboration/run.py: the confidence signals, the outcome of a threshold
(share answered locally, quality lowered vs cloud-only, cloud tokens saved, edge time added on
escalated requests) and the pick of a threshold under a quality budget.

A row is a request with its ``draft`` (``cascade.Draft``), ``ratio`` (quality ratio of the
draft vs the cloud, capped at 1; None when the draft can never be kept), ``tokens`` (the
cloud's tokens for it), ``agree`` (sampled-answer agreement) and ``set`` (simple | pupa).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from statistics import mean, median


def _words(text: str, n: int = 30) -> set[str]:
    return set(re.findall(r"\w+", text.casefold())[:n])


def agreement(greedy: str, samples: list[str]) -> float:
    """Mean word-set Jaccard between the greedy draft and each sample (first 30 words)."""
    g = _words(greedy)
    scores = [len(g & _words(s)) / len(g | _words(s)) if g | _words(s) else 0.0 for s in samples]
    return mean(scores) if scores else 0.0


def signals() -> dict[str, Callable[[dict], float]]:
    def gated(value: Callable[[dict], float]) -> Callable[[dict], float]:
        return lambda row: (
            value(row) if row["draft"].finished and row["draft"].source != "skipped" else -math.inf
        )

    return {
        "mean token logprob": gated(lambda r: r["draft"].confidence),
        "min token logprob": gated(lambda r: r["draft"].min_logprob),
        "sampled agreement (k)": gated(
            lambda r: r["agree"] if r["agree"] is not None else -math.inf
        ),
    }


def outcome(rows: list[dict], value, threshold: float) -> dict:
    local = [r for r in rows if value(r) >= threshold]
    escalated = [r for r in rows if value(r) < threshold]
    drop = sum(1 - r["ratio"] for r in local) / max(1, len(rows))
    raw = sum(1 - r["ratio_raw"] for r in local) / max(1, len(rows))
    return {
        "n": len(rows),
        "local": len(local),
        "share": len(local) / max(1, len(rows)),
        "drop": drop,
        "drop_raw": raw,
        "local_ratio": mean(r["ratio"] for r in local) if local else float("nan"),
        "saved": sum(r["tokens"] for r in local),
        "added": [r["draft"].seconds for r in escalated],
    }


def pick(rows: list[dict], value, max_drop: float) -> float:
    """The threshold with the most local answers while quality drops <= max_drop on all rows
    and on PUPA alone (inf: answer nothing locally)."""
    pupa = [r for r in rows if r["set"] == "pupa"]
    candidates = sorted({value(r) for r in rows if value(r) > -math.inf}, reverse=True)
    best, best_n = math.inf, 0
    for t in candidates:
        a, p = outcome(rows, value, t), outcome(pupa, value, t)
        if a["drop"] <= max_drop and p["drop"] <= max_drop and a["local"] > best_n:
            best, best_n = t, a["local"]
    return best


def fmt_row(label: str, o: dict) -> str:
    added = o["added"]
    return (
        f"| {label} | {o['n']} | {o['local']} = {o['share']:.0%} | {o['local_ratio']:.3f} "
        f"| {o['drop']:.3f} ({o['drop_raw']:.3f}) | {o['saved']} ({o['saved'] / max(1, o['local']):.0f} per local answer) "
        f"| {mean(added) if added else 0:.2f} / {median(added) if added else 0:.2f} |"
    )
