"""The leak corpus bench: N generated private documents (10,000 by default) through the plan
path with no cloud; prints the ground-truth values per type, how many reached an outbound
string, and the block rate (see ``corpus.py`` for the definitions).

    .venv/bin/python bench/leaks/run.py [--n 10000] [--seed 1717] [--mode redact|split]

``make test`` runs a 500-document slice of the same corpus (tests/leaks).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="Documents (a multiple of 10).")
    ap.add_argument("--seed", type=int, default=corpus.SEED)
    ap.add_argument(
        "--mode",
        choices=["redact", "split"],
        default="redact",
        help="pipeline.mode (split also runs the edge model's pass: slow).",
    )
    args = ap.parse_args()
    records = corpus.generate(args.n, seed=args.seed)
    planner = corpus.build_planner(mode=args.mode)

    def progress(done: int, report: corpus.Report) -> None:
        print(
            f"  {done}/{args.n}: {report.direct_leaks} of {report.direct_values} values leaked",
            file=sys.stderr,
            flush=True,
        )

    report = corpus.measure(records, planner, progress=progress)
    print(f"leak corpus: {args.n} documents, seed {args.seed}, pipeline.mode={args.mode}")
    print(report.table())


if __name__ == "__main__":
    main()
