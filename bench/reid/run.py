"""The re-identification bench: a seeded synthetic population (Faker + the budget's world
model, ``population.py``) and multi-turn conversations in which one person reveals
quasi-identifiers turn by turn. An attacker who sees only the outbound transcript counts the
population members consistent with it; per conversation length, the share of conversations
where it narrows to fewer than k candidates, without the budget and with it.

    .venv/bin/python bench/reid/run.py [--people 100000] [--conversations 500] [--k 50]

Two budgets, scaled to the population: exactly ``log2(population / k)`` (10.97 bits for
100,000 people and k = 50), and the shipped default's rule (26 bits of 8e9 people, i.e. 1.25
bits under the exact one: 9.71 bits here).
Only the budget step runs (no detectors): it models a policy that lets these attributes out
(``LOCATION: allow``; AGE is allowed by default), which is where the budget decides.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from population import MONTHS_L, YEAR, Population  # noqa: E402

from privsplit.edge.privacy.quasi import (  # noqa: E402
    DEFAULT_BUDGET_BITS,
    ReidBudget,
    Tables,
    budget_bits_for,
)
from privsplit.edge.privacy.vault import Vault  # noqa: E402

SEED = 1616


def turns_of(pop: Population, i: int, rng: np.random.Generator) -> list[str]:
    """What person ``i`` says about themself, one fact a turn, in a seeded random order."""
    facts = [
        f"I'm {pop.age[i]} years old and I want to get fitter.",
        f"I'm a {'woman' if pop.sex[i] == 0 else 'man'}, if that matters.",
        f"I was born on {pop.birth_day[i]} {MONTHS_L[pop.birth_month[i] - 1]} {YEAR - pop.age[i]}.",
    ]
    place = pop.city[i] or pop.region[i] or pop.country[i]
    if place:
        facts.append(f"Any running clubs near {place}?")
    if pop.profession[i]:
        facts.append(f"I work as a {pop.profession[i]}, so my hours are irregular.")
    if pop.daughter[i]:
        facts.append("My daughter wants to join me on runs.")
    facts += pop.more.facts(i, pop.city[i])  # employer, street, nationality, religion, ...
    rng.shuffle(facts)
    return facts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--conversations", type=int, default=500)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    started = time.perf_counter()
    pop = Population.generate(args.people, args.seed)
    print(f"population: {len(pop):,} people in {time.perf_counter() - started:.1f} s")
    # the budget for k, and one with a margin (for 2k): the estimate is an expectation, and a
    # population drawn at random puts some people below it
    exact = budget_bits_for(args.k, len(pop))
    default = DEFAULT_BUDGET_BITS - math.log2(Tables.load().world / len(pop))  # same margin
    budgets = {
        f"budget {exact:.2f} bits (k={args.k} exactly)": ReidBudget(budget_bits=exact),
        f"budget {default:.2f} bits (the default's margin)": ReidBudget(budget_bits=default),
    }
    rng = np.random.default_rng(args.seed)
    # people who have a place and a profession the tables know: the ones with most to reveal
    rich = np.flatnonzero((pop.profession != "") & (pop.country != ""))
    targets = rng.choice(rich, size=min(args.conversations, len(rich)), replace=False)
    modes = ["without", *budgets]
    below: dict[str, dict[int, list[bool]]] = {m: {} for m in modes}
    steps = {m: [0, 0] for m in budgets}  # generalized, hidden
    for i in targets:
        turns = turns_of(pop, int(i), rng)
        sent: dict[str, list[str]] = {"without": turns}
        for name, budget in budgets.items():
            vault, sent[name] = Vault(), []
            for turn in turns:
                step = budget.apply([turn], vault)
                vault.reveal(step.revealed)
                sent[name].append(step.texts[0])
                changed = [v for k, v in step.decisions.items() if k.startswith("reid:")]
                steps[name][0] += sum(v.startswith("generalized") for v in changed)
                steps[name][1] += sum(v == "hidden" for v in changed)
        for n in range(1, len(turns) + 1):
            for mode in modes:
                count = pop.candidates(sent[mode][:n])
                assert count >= 1, "the attacker must never exclude the target"
                below[mode].setdefault(n, []).append(count < args.k)
    print(f"{len(targets)} conversations (people with a listed place and profession)")
    for name, (g, h) in steps.items():
        print(f"  {name}: {g} findings generalized, {h} hidden")
    print(f"\nshare of conversations where the attacker narrows to fewer than k={args.k}:")
    print("\n| turns | conversations | " + " | ".join(modes) + " |")
    print("|---:|---:|" + "---:|" * len(modes))
    for n in sorted(below["without"]):
        cells = " | ".join(f"{100 * np.mean(below[m][n]):.1f}%" for m in modes)
        print(f"| {n} | {len(below['without'][n])} | {cells} |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
