"""The request set of bench/collaboration/run.py: simple requests a small model can handle,
generated from a seed, and a seeded sample of PUPA development queries.

Simple requests come in four kinds, in equal shares: ``factual`` (capitals, chemical symbols,
authors, units, everyday science), ``arithmetic`` (numbers drawn from the seed; a third are
short word problems that the exact evaluator cannot read, so the model answers them),
``rewrite`` (politer, more formal, fixed grammar, shorter) and ``translation`` (short phrases
into French, Spanish, German or Italian). The word lists below were written for this project
(same licence as the repository); no outside data set is used. PUPA records come from
``../shared/data/pupa_new.jsonl`` (MIT; WildChat terms), drawn with the same seed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CAPITALS = [
    ("France", "Paris"), ("Japan", "Tokyo"), ("Canada", "Ottawa"), ("Italy", "Rome"),
    ("Spain", "Madrid"), ("Germany", "Berlin"), ("Egypt", "Cairo"), ("Kenya", "Nairobi"),
    ("Peru", "Lima"), ("Norway", "Oslo"), ("Greece", "Athens"), ("Portugal", "Lisbon"),
    ("Thailand", "Bangkok"), ("Argentina", "Buenos Aires"), ("Poland", "Warsaw"),
]  # fmt: skip
ELEMENTS = [
    ("gold", "Au"), ("silver", "Ag"), ("iron", "Fe"), ("sodium", "Na"), ("oxygen", "O"),
    ("carbon", "C"), ("helium", "He"), ("copper", "Cu"), ("potassium", "K"), ("lead", "Pb"),
]  # fmt: skip
FACTS = [
    "Who wrote Romeo and Juliet?",
    "What is the largest planet in the solar system?",
    "How many days are there in a leap year?",
    "At what temperature in Celsius does water boil at sea level?",
    "How many continents are there on Earth?",
    "What is the largest ocean on Earth?",
    "How many minutes are there in an hour?",
    "What gas do plants absorb from the air for photosynthesis?",
    "How many legs does a spider have?",
    "Which planet is known as the Red Planet?",
    "What is the main language spoken in Brazil?",
    "How many sides does a hexagon have?",
]
WORD_PROBLEMS = [
    "A notebook costs {a} dollars. How much do {b} notebooks cost?",
    "I had {c} apples and gave away {b}. How many apples do I have left?",
    "A train travels {a} kilometres per hour for {b} hours. How far does it go?",
    "There are {b} boxes with {a} pens each. How many pens are there in total?",
    "A meeting starts at 9:00 and lasts {b} hours. At what time does it end?",
]
SENTENCES = [
    "send me the report now",
    "you forgot to reply to my email",
    "i need the invoice by friday",
    "the meeting is moved to tomorrow, be there",
    "stop sending me these messages",
    "your order will be late",
    "fix the printer on the second floor",
    "we did not get your payment yet",
]
BAD_GRAMMAR = [
    "She don't like apples.",
    "Me and him goes to the park every day.",
    "There is many reasons to stay.",
    "I has finished my homework yesterday.",
    "They was happy with the results.",
    "He have two brother.",
]
PHRASES = [
    "Good morning, how are you?",
    "Where is the train station?",
    "Thank you very much for your help.",
    "I would like a coffee, please.",
    "See you tomorrow.",
    "The weather is nice today.",
    "How much does this cost?",
    "I am learning a new language.",
    "The library opens at nine.",
    "Can you help me, please?",
]
LANGUAGES = ["French", "Spanish", "German", "Italian"]
KINDS = ("factual", "arithmetic", "rewrite", "translation")


def _factual(rng: random.Random) -> str:
    pick = rng.randrange(3)
    if pick == 0:
        return f"What is the capital of {rng.choice(CAPITALS)[0]}?"
    if pick == 1:
        return f"What is the chemical symbol for {rng.choice(ELEMENTS)[0]}?"
    return rng.choice(FACTS)


def _arithmetic(rng: random.Random) -> str:
    a, b = rng.randint(2, 99), rng.randint(2, 12)
    c = a + rng.randint(5, 60)
    pick = rng.randrange(6)
    if pick == 0:
        return (
            f"What is {rng.choice([5, 10, 15, 20, 25, 30, 40, 75])}% of {rng.randint(2, 40) * 10}?"
        )
    if pick == 1:
        return f"What is {a * 7} plus {c * 3}?"
    if pick == 2:
        return f"What is {a} times {b}?"
    if pick == 3:
        return f"What is {a * b} divided by {b}?"
    if pick == 4:
        return f"Calculate {c * 11} minus {a * 5}."
    return rng.choice(WORD_PROBLEMS).format(a=a, b=b, c=c)


def _rewrite(rng: random.Random) -> str:
    pick = rng.randrange(4)
    if pick == 0:
        return f"Rewrite more politely: {rng.choice(SENTENCES)}."
    if pick == 1:
        return f"Rewrite this in a formal tone: {rng.choice(SENTENCES)}."
    if pick == 2:
        return f"Correct the grammar of this sentence: {rng.choice(BAD_GRAMMAR)}"
    return f"Make this sentence start with a capital letter and end with a period: {rng.choice(SENTENCES)}"


def _translation(rng: random.Random) -> str:
    return f"Translate into {rng.choice(LANGUAGES)}: {rng.choice(PHRASES)}"


MAKERS = {
    "factual": _factual,
    "arithmetic": _arithmetic,
    "rewrite": _rewrite,
    "translation": _translation,
}


def simple_requests(n: int, seed: int = 15) -> list[dict]:
    """``n`` distinct simple requests, the kinds in turn, drawn from ``seed``."""
    rng = random.Random(seed)
    out: list[dict] = []
    seen: set[str] = set()
    while len(out) < n:
        kind = KINDS[len(out) % len(KINDS)]
        for _ in range(50):
            text = MAKERS[kind](rng)
            if text not in seen:
                break
        seen.add(text)
        out.append({"id": f"simple-{len(out)}", "set": "simple", "kind": kind, "text": text})
    return out


def pupa_requests(path: Path, n: int, seed: int = 15) -> list[dict]:
    """``n`` PUPA records drawn with ``seed`` (their order is fixed by the seed too)."""
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    chosen = random.Random(seed).sample(rows, min(n, len(rows)))
    return [
        {"id": r["id"], "set": "pupa", "kind": r.get("category", ""), "text": r["text"]}
        for r in chosen
    ]
