"""Write the development set as JSONL: ``python -m devset [--seed N] [--out FILE]``."""

from __future__ import annotations

import argparse
import json
import sys

from . import generate

ap = argparse.ArgumentParser(description="Write the seeded multi-domain PII development set.")
ap.add_argument("--seed", type=int, default=13)
ap.add_argument("--per-domain", type=int, default=30)
ap.add_argument("--per-language", type=int, default=30)
ap.add_argument("--out", default="-", help="JSONL file; stdout when '-'.")
args = ap.parse_args()
records = generate(seed=args.seed, per_domain=args.per_domain, per_language=args.per_language)
sink = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
with sink:
    for r in records:
        sink.write(json.dumps(r, ensure_ascii=False) + "\n")
