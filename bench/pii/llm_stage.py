"""The contextual LLM stage: old (``full``) vs new (``fast``) mode, on the same records.

One run prints, per set (a slice of Presidio's synthetic set, a slice of the multi-domain
devset spread over its domains and languages), the stage's cost and what it adds:

- ``llm_wall`` / ``llm_cpu``: seconds per 1,000 characters of input spent in the LLM stage
  (wall clock, and process CPU time: llama.cpp's threads are in the process; CPU seconds are
  the steadier figure on a shared machine);
- ``calls``: model calls; ``recall``, ``direct`` (recall of direct identifiers),
  ``char_prec`` and ``clean_flag`` as ``run.py`` scores them (``score``), for the detectors
  with the rare-term pass alone (what ``privsplit redact`` does) and with each LLM mode.

The old mode is slow, so it runs on the first ``--old`` records of each slice and the other
rows are re-scored on those same records; the new mode also runs on ``--new`` records.
Each LLM engine gets one warm-up call that reaches the model (the cached prompt prefix is
then in place, as in a running daemon). Both modes run llama.cpp on one thread
(``llm_threads=1``, prompt evaluation included: on a busy machine llama.cpp's default of
every core for prompt evaluation spins and costs several times the CPU).

    nice -n 10 .venv/bin/python bench/pii/llm_stage.py --model MODEL.gguf [--old 5] [--new 40]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from devset import generate  # noqa: E402
from run import DEFAULT_DATA, load, score  # noqa: E402

WARM_UP = "ok so terrence and i met Olafsen at the Kvarnby depot on Monday."


class Stage:
    """An engine (detectors + rare-term pass, optionally the LLM stage) that times its LLM."""

    def __init__(self, mode: str | None, model: Path | None) -> None:
        from privsplit.edge.privacy.factory import build_engine
        from privsplit.edge.privacy.settings import PrivacySettings

        privacy = PrivacySettings(llm=mode is not None, llm_mode=mode or "fast", llm_threads=1)
        self.engine = build_engine(privacy, llm_model_path=model, terms=True)
        self.llm = next((d for d in self.engine.detectors if d.name == "llm"), None)
        self.wall = self.cpu = 0.0
        if self.llm is not None:
            inner = self.llm.detect_remaining

            def timed(texts, found):
                w, c = time.perf_counter(), time.process_time()
                try:
                    return inner(texts, found)
                finally:
                    self.wall += time.perf_counter() - w
                    self.cpu += time.process_time() - c

            self.llm.detect_remaining = timed  # type: ignore[method-assign]

    def run(self, texts: list[str]) -> tuple[list[list[tuple[int, int]]], float, float, int]:
        from privsplit.edge.privacy.policy import Action

        self.wall = self.cpu = 0.0
        calls = self.llm.calls if self.llm else 0
        out = [
            [
                (s.start, s.end)
                for s in spans
                if self.engine.policy.action_for(s.entity_type) is not Action.ALLOW
            ]
            for spans in self.engine.detect_batch(texts)
        ]
        return out, self.wall, self.cpu, (self.llm.calls - calls) if self.llm else 0


def spread(records: list[dict], n: int) -> list[dict]:
    """``n`` records taken at even steps, so every domain and language shows up."""
    step = max(len(records) // max(n, 1), 1)
    return records[::step][:n]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True, help="GGUF model of the LLM stage.")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=13, help="Seed of the development set.")
    ap.add_argument("--old", type=int, default=5, help="Records per set for the old mode.")
    ap.add_argument("--new", type=int, default=40, help="Records per set for the new mode.")
    args = ap.parse_args(argv)

    sets = {
        "presidio_synth": load(args.data, args.new),
        "devset": spread(generate(seed=args.seed), args.new),
    }
    stages = {
        "detectors+terms": Stage(None, None),
        "+ LLM fast (new)": Stage("fast", args.model),
        "+ LLM full (old)": Stage("full", args.model),
    }
    for name, stage in stages.items():
        started = time.perf_counter()
        stage.run([WARM_UP])
        print(f"  warm-up {name}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    rows = []
    for set_name, recs in sets.items():
        plan = [
            ("old", recs[: args.old], ["detectors+terms", "+ LLM full (old)", "+ LLM fast (new)"]),
            ("new", recs, ["detectors+terms", "+ LLM fast (new)"]),
        ]
        for tag, part, names in plan:
            texts = [r["text"] for r in part]
            chars = sum(len(t) for t in texts)
            for name in names:
                predicted, wall, cpu, calls = stages[name].run(texts)
                m = score(part, predicted)
                rows.append((set_name, len(part), chars, name, calls, wall, cpu, m, tag))
                print(f"  {set_name} n={len(part)} {name}: {wall:.1f}s", file=sys.stderr)

    print(
        "\nLLM stage, old (full) vs new (fast); timings are seconds per 1,000 input characters "
        "spent in the LLM stage\n(2-core machine shared with other jobs: wall is an upper "
        "bound, CPU the steadier figure)"
    )
    header = (
        f"{'set':15} {'n':>3} {'chars':>6} {'engine':18} {'calls':>5} {'llm_wall':>8} "
        f"{'llm_cpu':>8} {'recall':>7} {'direct':>7} {'char_prec':>9} {'clean_flag':>10}"
    )
    print(header)
    for set_name, n, chars, name, calls, wall, cpu, m, _ in rows:
        print(
            f"{set_name:15} {n:>3} {chars:>6} {name:18} {calls:>5} "
            f"{wall * 1000 / chars:>8.2f} {cpu * 1000 / chars:>8.2f} {m['recall']:>7.3f} "
            f"{m['direct']:>7.3f} {m['char_precision']:>9.3f} {m['clean_flagged']:>10.3f}"
        )
    print("\nspeed-up of the new mode on the same records (old / new, per 1,000 characters)")
    for set_name in sets:
        same = {r[3]: r for r in rows if r[0] == set_name and r[8] == "old"}
        old, new = same.get("+ LLM full (old)"), same.get("+ LLM fast (new)")
        if old and new and new[4] == 0:
            print(f"{set_name:15} the new mode made no model call on these records")
        elif old and new:
            print(
                f"{set_name:15} wall {old[5] / max(new[5], 1e-9):6.1f}x   "
                f"cpu {old[6] / max(new[6], 1e-9):6.1f}x"
            )
    old_all = [r for r in rows if r[3] == "+ LLM full (old)"]
    same_new = [r for r in rows if r[3] == "+ LLM fast (new)" and r[8] == "old"]
    if old_all and same_new:
        chars = sum(r[2] for r in old_all)
        print(
            f"{'all sets, same records':30} "
            f"wall {sum(r[5] for r in old_all) / max(sum(r[5] for r in same_new), 1e-9):.1f}x   "
            f"cpu {sum(r[6] for r in old_all) / max(sum(r[6] for r in same_new), 1e-9):.1f}x   "
            f"({chars} characters)"
        )
    new_all = [r for r in rows if r[3] == "+ LLM fast (new)" and r[8] == "new"]
    if old_all and new_all:
        per_k = [sum(r[5] for r in rs) * 1000 / sum(r[2] for r in rs) for rs in (old_all, new_all)]
        cpu_k = [sum(r[6] for r in rs) * 1000 / sum(r[2] for r in rs) for rs in (old_all, new_all)]
        print(
            f"{'all (old slice vs new slice)':30} wall {per_k[0]:.2f} -> {per_k[1]:.2f} s/1k "
            f"({per_k[0] / max(per_k[1], 1e-9):.1f}x)   cpu {cpu_k[0]:.2f} -> {cpu_k[1]:.2f} s/1k "
            f"({cpu_k[0] / max(cpu_k[1], 1e-9):.1f}x)"
        )


if __name__ == "__main__":
    main()
