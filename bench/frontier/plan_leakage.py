"""bench/frontier: what one policy setting sends for each PUPA query (dry run, no cloud).

Contract: ``plan_records(overrides, records)`` builds an offline pipeline with the edge
settings ``overrides`` (e.g. ``{"pipeline": {"hide_with_model": False}}``), plans every
record with a fresh vault and returns one row per record:

- ``outbound``: the strings that would leave the device ([] = blocked or local), in
  placeholder form: the stand-ins a setting sends instead of name placeholders are put on
  when it is answered (``run.py``); a stand-in is never a word of the text nor of a hidden
  value, so what leaks is the same;
- ``leaked``: the record's labeled PII units (>= 3 characters) found in them, as whole
  words, case-insensitively (``bench/delegation/metrics.leaked_units``, the issue's metric);
- ``hidden``: the values that got a placeholder, and ``over_hidden``: those that overlap no
  labeled unit (words the policy hid although PUPA does not call them private: the cost side
  that the quality ratio measures on fewer queries);
- ``vault``: placeholder -> value, to restore the cloud's answer for the quality ratio.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delegation"))

from metrics import leaked_units, units_of  # noqa: E402

EDGE_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"


def _overlaps_unit(value: str, units: list[str]) -> bool:
    v = value.casefold().strip()
    return any(v in u.casefold() or u.casefold() in v for u in units)


def plan_records(
    overrides: dict, records: list[dict], *, progress: bool = True, on_row=None
) -> list[dict]:
    """One row per record (see the module docstring); ``on_row(row)`` is called as each
    row is made, so a caller can save them as they come and resume a stopped run."""
    from privsplit.edge.privacy.vault import Vault
    from privsplit.edge.provider import build_pipeline
    from privsplit.edge.settings import EdgeSettings
    from privsplit.shared.errors import PrivacyBlocked, PrivsplitError

    settings = EdgeSettings.load(edge_model=EDGE_MODEL, **overrides)
    pipeline = build_pipeline(settings, offline=True)
    rows = []
    started = time.perf_counter()
    for i, rec in enumerate(records, 1):
        vault = Vault()
        t0 = time.perf_counter()
        try:
            # placeholder form: a setting's stand-ins are put on at answer time (run.py)
            outbound, route = pipeline.plan_request(rec["text"], vault).outbound, "cloud"
        except PrivacyBlocked:
            outbound, route = [], "blocked"
        except PrivsplitError as exc:  # e.g. unreadable model output, failing closed
            outbound, route = [], type(exc).__name__
        units = units_of(rec)
        hidden = sorted({v for _, v in vault.values()})
        rows.append(
            {
                "id": rec["id"],
                "route": route if outbound or route != "cloud" else "local",
                "outbound": outbound,
                "units": units,
                "leaked": leaked_units(units, outbound),
                "hidden": hidden,
                "over_hidden": [v for v in hidden if not _overlaps_unit(v, units)],
                "vault": {p: vault.value_of(p) for p in _placeholders(outbound)},
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
        if on_row is not None:
            on_row(rows[-1])
        if progress and i % 100 == 0:
            print(
                f"  plan {i}/{len(records)} ({time.perf_counter() - started:.0f}s)",
                file=sys.stderr,
                flush=True,
            )
    return rows


def _placeholders(outbound: list[str]) -> list[str]:
    from privsplit.edge.privacy.vault import PLACEHOLDER_RE

    return sorted({m.group(0) for text in outbound for m in PLACEHOLDER_RE.finditer(text)})


def restore(text: str, vault: dict[str, str]) -> str:
    """The cloud's answer with the placeholders of one plan put back (as the device does)."""
    from privsplit.edge.privacy.vault import PLACEHOLDER_RE

    return PLACEHOLDER_RE.sub(lambda m: vault.get(m.group(0)) or m.group(0), text)


def summary(rows: list[dict]) -> dict:
    n_units = sum(len(r["units"]) for r in rows)
    leaked = sum(len(r["leaked"]) for r in rows)
    return {
        "queries": len(rows),
        "units": n_units,
        "leaked": leaked,
        "leakage": leaked / max(n_units, 1),
        "blocked": sum(r["route"] not in ("cloud", "local") for r in rows),
        "over_hidden_per_query": sum(len(r["over_hidden"]) for r in rows) / max(len(rows), 1),
        "edge_s_per_query": sum(r["seconds"] for r in rows) / max(len(rows), 1),
    }
