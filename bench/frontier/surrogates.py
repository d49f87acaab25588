"""bench/frontier: would realistic stand-ins answer better than typed placeholders?

An experiment on a setting's plans, not a product setting (yet). Each PERSON, LOCATION,
ORGANIZATION, NAME and NRP placeholder of what a plan sends is replaced by a made-up value of
its type ("[PERSON_1]" -> "Alex Morgan", "[LOCATION_1]" -> "Riverton"), chosen by order, never
from the real value and never a word already in the text or among the hidden values; the
cloud answers that text, the stand-ins in its answer (whole, or a person's first or last name
alone) are put back to the real values, then the placeholders as the device does. Quality is
scored exactly as ``run.py`` scores it, beside the same plans sent with typed placeholders.
What is hidden does not change, so leakage is the plan's own.

    .venv/bin/python bench/frontier/surrogates.py --plans bench/frontier/out/plan-no-model.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import regex as re

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cloud_answers import (  # noqa: E402
    CLOUD_MODEL,
    DATA,
    DEFAULT_CACHE,
    DEFAULT_SAMPLES,
    MAX_TOKENS,
    AnswerCache,
    Answerer,
    cached_raw,
    pupa,
    stop_on_sigterm,
)
from frontier_plans import read_rows  # noqa: E402
from plan_leakage import restore  # noqa: E402
from quality import reference, score  # noqa: E402

POOLS = {
    "PERSON": (
        "Alex Morgan",
        "Sam Taylor",
        "Jordan Blake",
        "Casey Reed",
        "Robin Hayes",
        "Drew Carter",
        "Jamie Quinn",
        "Morgan Ellis",
    ),
    "LOCATION": ("Springfield", "Riverton", "Lakewood", "Fairview", "Brookside", "Maplewood"),
    "ORGANIZATION": (
        "Northwind Group",
        "Bluefield Inc",
        "Crestline Labs",
        "Harbor Works",
        "Summit Partners",
    ),
    "NAME": (
        "Orvion",
        "Kestrel",
        "Talvana",
        "Brimley",
        "Quorra",
        "Zentro",
        "Halcyra",
        "Veltrix",
        "Dunmore",
        "Pellaro",
    ),
    "NRP": ("Canadian", "Norwegian", "Chilean", "Portuguese"),
}
PLACEHOLDER = re.compile(r"\[(?P<type>[A-Z][A-Z_]*?)(?:_\d+)?\]")


def encode(text: str, vault: dict[str, str]) -> tuple[str, dict[str, str]]:
    """``text`` with its placeholders of a pooled type replaced, and placeholder -> stand-in."""
    taken = text.casefold() + "\n" + "\n".join(vault.values()).casefold()
    chosen: dict[str, str] = {}
    next_of: dict[str, int] = {}

    def pick(m: re.Match) -> str:
        ph, kind = m.group(0), m.group("type")
        if ph in chosen or kind not in POOLS:
            return chosen.get(ph, ph)
        pool, k = POOLS[kind], next_of.get(kind, 0)
        one_word = kind == "PERSON" and len((vault.get(ph) or "x").split()) == 1
        while True:
            base = pool[k % len(pool)].split()[0] if one_word else pool[k % len(pool)]
            stand_in = base if k < len(pool) else f"{base} {k // len(pool) + 1}"
            k += 1
            if stand_in.casefold() not in taken and stand_in not in chosen.values():
                break
        next_of[kind] = k
        chosen[ph] = stand_in
        return stand_in

    return PLACEHOLDER.sub(pick, text), chosen


def decode(answer: str, chosen: dict[str, str], vault: dict[str, str]) -> str:
    """The cloud's answer with the stand-ins, then the placeholders, given back their values."""
    for ph, stand_in in sorted(chosen.items(), key=lambda kv: -len(kv[1])):
        value = vault.get(ph) or ph
        answer = _swap(answer, stand_in, value)
        parts, real = stand_in.split(), value.split()
        if len(parts) == 2 and not parts[1].isdigit() and len(real) >= 2:
            answer = _swap(answer, parts[0], real[0])  # "Alex" alone: the first name
            answer = _swap(answer, parts[1], real[-1])  # "Morgan" alone: the last name
    return restore(answer, vault)


def _swap(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", lambda _m: new, text, flags=re.I)


async def answers_for(rows: list[dict], answerer: Answerer) -> tuple[list[str], list[str]]:
    """Per row: the answer with typed placeholders and the one with stand-ins, restored."""
    typed, stood = [], []
    for i, row in enumerate(rows, 1):
        a, b = [], []
        for query in row["outbound"]:
            a.append(restore((await answerer.answer(query))["answer"], row["vault"]))
            text, chosen = encode(query, row["vault"])
            b.append(decode((await answerer.answer(text))["answer"], chosen, row["vault"]))
        typed.append("\n\n".join(a))
        stood.append("\n\n".join(b))
        print(f"  {i}/{len(rows)} (new answers {answerer.generated})", file=sys.stderr, flush=True)
    return typed, stood


async def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--plans", type=Path, required=True, help="A setting's plan-*.jsonl.")
    p.add_argument("--limit", type=int, default=200, help="First N PUPA queries.")
    p.add_argument("--cloud-model", default=CLOUD_MODEL)
    args = p.parse_args(argv)
    records = pupa(DATA / "pupa_new.jsonl", 0, None)[: args.limit]
    plans = read_rows(args.plans)
    rows = [plans[r["id"]] for r in records]
    answerer = Answerer(AnswerCache(DEFAULT_CACHE), model=args.cloud_model, max_tokens=MAX_TOKENS)
    try:
        typed, stood = await answers_for(rows, answerer)
    finally:
        await answerer.close()
    raw = [cached_raw(answerer, r["text"], DEFAULT_SAMPLES) for r in records]
    a, samples = [x for x, _ in raw], [x for _, x in raw]
    from metrics import Embedder

    emb = Embedder()
    ref = reference(emb, a, samples, DEFAULT_SAMPLES)
    for name, answers in (("typed placeholders", typed), ("stand-ins", stood)):
        idx = ref.scored
        figures = score(ref, idx, emb.cosine([answers[i] for i in idx], [a[i] for i in idx]))
        keep = ("quality", "share_ge_0_9", "quality_n", "quality_k", "share_k", "quality_n_k")
        print(name, json.dumps({k: figures[k] for k in keep}))


if __name__ == "__main__":
    stop_on_sigterm()
    asyncio.run(main())
