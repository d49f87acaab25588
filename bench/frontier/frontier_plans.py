"""bench/frontier: each setting's plan rows (what would be sent), cached per setting.

Contract: ``plans_for(name, records, args)`` returns one row per record, from
``args.out_dir/plan-NAME.jsonl`` where already made, else made now (dry run, no cloud) and
appended as they come, so a stopped run resumes. A plan is stamped with
``code_fingerprint()``, the code that decides what is sent; ``plan_is_current`` tells a plan
made by other code (the table marks it stale; ``--replan-stale`` redoes it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from frontier_settings import LABELS_POINT, NULL_POINT, SAME_PLANS, SETTINGS
from plan_leakage import plan_records

# the code that decides what is sent: a plan made with other code is marked stale
PLAN_CODE = ("edge/privacy", "edge/pipeline")


def code_fingerprint(repo: Path | None = None) -> str:
    """sha256 over what a plan depends on in ``PLAN_CODE`` (of ``repo``, default this
    checkout): each Python file's syntax tree without its documentation (comments, docstrings,
    pydantic ``description=`` texts), so a corrected comment leaves the plans current; and
    the bytes of the data files (vocabularies, prompts)."""
    import hashlib

    repo = repo or Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for folder in PLAN_CODE:
        for f in sorted((repo / folder).rglob("*")):
            if f.is_file() and f.suffix in (".py", ".txt", ".yaml", ".json", ".md"):
                data = _behaviour(f.read_text("utf-8")) if f.suffix == ".py" else f.read_bytes()
                h.update(str(f.relative_to(repo)).encode() + b"\0" + data)
    return h.hexdigest()[:16]


def _behaviour(source: str) -> bytes:
    """The syntax tree of ``source`` with docstrings and ``description=`` texts removed."""
    import ast

    tree = ast.parse(source)
    scopes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "description":
            node.value = ast.Constant("")
        body = getattr(node, "body", None)
        if isinstance(node, scopes) and body and _is_docstring(body[0]):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def _is_docstring(stmt: object) -> bool:
    import ast

    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def plan_is_current(name: str, args: argparse.Namespace) -> bool:
    """The setting's cached plan was made by the code as it is now (raw and PUPA's reference
    do not depend on it; a plan from before this stamp existed counts as stale)."""
    if name in ("raw", NULL_POINT, "pupa-reference"):
        return True
    name = SAME_PLANS.get(name, name)
    meta = args.out_dir / f"plan-{name}.code"
    return meta.exists() and meta.read_text("utf-8").strip() == code_fingerprint()


def read_rows(path: Path) -> dict[str, dict]:
    """A plan file's rows by record id (a last line cut by a stopped run is skipped). The
    leaked units are counted again from what the row sends: the metric is not part of the
    plan's code stamp, and a plan that needs no replanning (raw, PUPA's reference) would
    otherwise keep a count made by an older metric."""
    from plan_leakage import leaked_units

    rows: dict[str, dict] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # the last line of a run stopped mid-write
                continue
            row["leaked"] = leaked_units(row["units"], row["outbound"])
            rows[row["id"]] = row
    return rows


def plans_for(name: str, records: list[dict], args: argparse.Namespace) -> list[dict]:
    """The setting's plan rows, from ``--out-dir`` where already computed for these ids
    (``--replan``, or ``--replan-stale`` when the code has changed since: recomputed).
    Rows are appended to the file as they are made, so a stopped run resumes where it was;
    a plan completed by other code than it was started with keeps its old (stale) stamp.
    A setting in ``SAME_PLANS`` reads (and makes) the other's plans."""
    name = SAME_PLANS.get(name, name)
    path = args.out_dir / f"plan-{name}.jsonl"
    meta = args.out_dir / f"plan-{name}.code"
    fresh = args.replan or (args.replan_stale and not plan_is_current(name, args))
    rows = read_rows(path) if path.exists() and not fresh else {}
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
            elif name == LABELS_POINT:
                for r in labeled_rows(missing):
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


def labeled_rows(records: list[dict]) -> list[dict]:
    """PUPA's labeled units hidden, and nothing else: each whole-word occurrence of a unit
    (case-insensitive) gets a placeholder of the type privsplit's detectors give the words
    there, ``NAME`` where they find none. Sent with stand-ins like the default, it is what a
    policy that hid exactly what PUPA labels would score: the quality the labels leave."""
    import regex as re
    from metrics import GLUED
    from plan_leakage import units_of

    from privsplit.edge.privacy.factory import build_engine
    from privsplit.edge.privacy.settings import PrivacySettings
    from privsplit.edge.privacy.spans import Span, resolve_overlaps
    from privsplit.edge.privacy.vault import Vault

    engine = build_engine(PrivacySettings(), terms=False)
    rows = []
    for rec in records:
        text = rec["text"]
        found = engine.detect(text)
        spans = []
        for unit in units_of(rec):
            # whole words as the leak metric counts them (a CJK neighbour is no glue)
            whole = rf"(?<!{GLUED}){re.escape(unit)}(?!{GLUED})"
            for m in re.finditer(whole, text, re.IGNORECASE):
                kind = next(
                    (f.entity_type for f in found if f.start < m.end() and m.start() < f.end),
                    "NAME",
                )
                spans.append(Span(m.start(), m.end(), kind, 1.0, "pupa_label"))
        vault = Vault()
        sent = [vault.redact(text, resolve_overlaps(spans, text))]
        row = _row(rec, sent, {p: vault.value_of(p) for p in _placeholders(sent)})
        row["hidden"] = sorted(set(row["vault"].values()))
        rows.append(row)
    return rows


def _placeholders(sent: list[str]) -> list[str]:
    from plan_leakage import _placeholders as found

    return found(sent)
