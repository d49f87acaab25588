"""bench/longdocs: seeded long synthetic private documents with planted facts and exact answers.

Four kinds (patient records, financial statements, contracts, incident logs), each document
20k-100k characters of varied filler with facts planted at random places, and questions with
exact answers of four types: lookup (one fact), multi-hop (a fact found through another),
aggregation (a sum over planted amounts) and unit conversion (a table in millions asked in
billions). Every document also carries private values (names, record numbers, e-mails,
phones) that must never reach the cloud. Same seed, same documents and tasks.

    .venv/bin/python bench/longdocs/generate.py --seed 7 --docs 16 --out /tmp/longdocs.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from faker import Faker

DRUGS = ["Metoprolol", "Lisinopril", "Atorvastatin", "Apixaban", "Levetiracetam", "Sertraline"]
AGENTS = ["Omnipaque 350", "Gadavist 7.5 mL", "Visipaque 320", "Dotarem 15 mL", "Isovue 300"]
TESTS = ["hemoglobin", "creatinine", "potassium", "ferritin", "platelet count"]
UNITS = {
    "hemoglobin": "g/dL",
    "creatinine": "mg/dL",
    "potassium": "mmol/L",
    "ferritin": "ng/mL",
    "platelet count": "x10^9/L",
}
SYSTEMS = ["billing gateway", "VPN concentrator", "mail relay", "badge readers", "HR portal"]


@dataclass
class Task:
    id: str
    kind: str
    type: str  # lookup | multihop | aggregation | conversion
    question: str
    answer: list[str]  # every item must appear in the answer (bench/delegation metrics)
    doc: str = ""  # the document id
    private: list[str] = field(default_factory=list)


@dataclass
class Document:
    id: str
    kind: str
    text: str
    private: list[str]
    tasks: list[Task]


class Writer:
    """Filler paragraphs and planted facts for one document."""

    def __init__(self, rng: random.Random, fake: Faker) -> None:
        self.rng, self.fake = rng, fake
        self.paragraphs: list[str] = []

    def filler(self, sentences: Callable[[], str], chars: int) -> None:
        while sum(len(p) for p in self.paragraphs) < chars:
            self.paragraphs.append(" ".join(sentences() for _ in range(self.rng.randint(3, 7))))

    def plant(self, fact: str) -> None:
        self.paragraphs.insert(self.rng.randint(0, len(self.paragraphs)), fact)

    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _day(fake: Faker) -> date:
    """A date within fixed bounds (Faker's "this decade" moves with today's date)."""
    return fake.date_between(date(2019, 1, 1), date(2023, 12, 31))


def _money(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, high) * 10


def patient(rng: random.Random, fake: Faker, n: int, size: int) -> Document:
    name, doctor, surgeon = fake.name(), f"Dr. {fake.name()}", f"Dr. {fake.name()}"
    mrn, phone, email = f"MRN-{rng.randint(100000, 999999)}", fake.phone_number(), fake.email()
    w = Writer(rng, fake)

    def sentence() -> str:
        return rng.choice(
            [
                f"On {_day(fake):%m/%d/%Y} the patient reported {fake.word()} and "
                f"{rng.choice(['mild', 'moderate', 'no'])} discomfort.",
                f"Vital signs were stable; blood pressure {rng.randint(105, 140)}/"
                f"{rng.randint(60, 90)} mmHg, pulse {rng.randint(55, 95)}.",
                f"The care team discussed {fake.bs()} with the family.",
                f"Physical therapy focused on {rng.choice(['gait', 'balance', 'strength'])} "
                f"for {rng.randint(20, 50)} minutes.",
                f"Nursing note: {fake.sentence(nb_words=10)}",
            ]
        )

    w.paragraphs.append(f"Patient: {name} ({mrn}). Contact: {phone}, {email}. Attending: {doctor}.")
    w.filler(sentence, size)
    test, value = rng.choice(TESTS), round(rng.uniform(1.5, 15.0), 1)
    day = f"{_day(fake):%m/%d/%Y}"
    agent, drug = rng.choice(AGENTS), rng.choice(DRUGS)
    w.plant(f"Laboratory results {day}: {test} {value} {UNITS[test]}.")
    w.plant(f"CT of the abdomen was performed with the contrast agent {agent}.")
    w.plant(f"The knee arthroscopy was performed by {surgeon}.")
    w.plant(f"At the post-operative review, {surgeon} started {drug} for {name}.")
    w.paragraphs.append(f"Signed: {doctor}.")
    tasks = [
        Task(
            f"patient{n}-lookup",
            "patient",
            "lookup",
            f"What was the {test} on {day}?",
            [f"{value}"],
        ),
        Task(
            f"patient{n}-agent",
            "patient",
            "lookup",
            "Which contrast agent was used for the CT of the abdomen?",
            [agent],
        ),
        Task(
            f"patient{n}-multihop",
            "patient",
            "multihop",
            "Which drug did the surgeon who performed the knee arthroscopy start?",
            [drug],
        ),
    ]
    return Document(
        f"patient{n}",
        "patient",
        w.text(),
        [name, mrn, phone, email, surgeon[4:], doctor[4:]],
        tasks,
    )


def financial(rng: random.Random, fake: Faker, n: int, size: int) -> Document:
    company, cfo, account = fake.company(), fake.name(), f"ACCT-{rng.randint(10**7, 10**8 - 1)}"
    w = Writer(rng, fake)

    def sentence() -> str:
        return rng.choice(
            [
                f"Operating expenses for {fake.month_name()} rose by {rng.randint(1, 9)}% "
                f"owing to {fake.bs()}.",
                f"The treasury team renewed the {rng.choice(['credit', 'hedging', 'cash'])} "
                f"facility on {_day(fake):%B %d, %Y}.",
                f"Management believes {fake.catch_phrase().lower()} supports the outlook.",
                f"Segment {rng.choice('ABCDE')} reported {rng.randint(2, 40)} new contracts.",
            ]
        )

    w.paragraphs.append(f"{company} annual statement. Prepared by {cfo}. Account {account}.")
    w.filler(sentence, size)
    revenue = rng.randint(12_000, 98_000)  # in millions
    while round(revenue / 1000, 1) % 1 == 0:  # "20.0" is written "20": avoid
        revenue += 100
    invoices = [_money(rng, 100, 9_000) for _ in range(3)]
    auditor = fake.company()
    fee = _money(rng, 50, 900)
    w.plant(
        "Consolidated results (in millions):\nYear ended December 31, 2023\n"
        f"Total net revenue $ {revenue:,}\nCost of sales $ {int(revenue * 0.61):,}"
    )
    for i, amount in enumerate(invoices, 1):
        w.plant(f"Consulting invoice number {i} of 3 was paid in full: ${amount:,}.")
    w.plant(f"The external auditor for the year was {auditor}.")
    w.plant(f"{auditor} charged an audit fee of ${fee:,}.")
    billions = f"{round(revenue / 1000, 1)} billion"
    tasks = [
        Task(
            f"financial{n}-conversion",
            "financial",
            "conversion",
            "What was total net revenue for the year ended December 31, 2023, in billions?",
            [billions],
        ),
        Task(
            f"financial{n}-aggregation",
            "financial",
            "aggregation",
            "What is the total of the three consulting invoices?",
            [f"{sum(invoices):,}"],
        ),
        Task(
            f"financial{n}-multihop",
            "financial",
            "multihop",
            "What audit fee did the external auditor charge?",
            [f"{fee:,}"],
        ),
    ]
    return Document(f"financial{n}", "financial", w.text(), [cfo, account], tasks)


def contract(rng: random.Random, fake: Faker, n: int, size: int) -> Document:
    client, vendor, signer = fake.company(), fake.company(), fake.name()
    email = fake.email()
    w = Writer(rng, fake)

    def sentence() -> str:
        return rng.choice(
            [
                f"Section {rng.randint(2, 30)}.{rng.randint(1, 9)}: the parties shall "
                f"{fake.bs()} in good faith.",
                f"Notices are deemed received {rng.randint(2, 10)} business days after dispatch.",
                f"Neither party may assign this agreement without consent, except to "
                f"{rng.choice(['an affiliate', 'a successor', 'a lender'])}.",
                f"Confidential information excludes {fake.sentence(nb_words=8).lower()}",
            ]
        )

    w.paragraphs.append(
        f"Master services agreement between {client} and {vendor}. Signed by {signer} ({email})."
    )
    w.filler(sentence, size)
    days, cap = rng.choice([15, 30, 45, 60, 90]), _money(rng, 1_000, 90_000)
    law = rng.choice(["Delaware", "New York", "Ontario", "England and Wales"])
    w.plant(f"Termination: either party may terminate with {days} days written notice.")
    w.plant(f"Liability cap: the vendor's total liability shall not exceed ${cap:,}.")
    w.plant(f"Governing law: this agreement is governed by the laws of {law}.")
    tasks = [
        Task(
            f"contract{n}-notice",
            "contract",
            "lookup",
            "How many days of written notice are needed to terminate?",
            [f"{days}"],
        ),
        Task(
            f"contract{n}-cap",
            "contract",
            "lookup",
            "What is the vendor's liability cap?",
            [f"{cap:,}"],
        ),
        Task(f"contract{n}-law", "contract", "lookup", "Which laws govern the agreement?", [law]),
    ]
    return Document(f"contract{n}", "contract", w.text(), [signer, email], tasks)


def incidents(rng: random.Random, fake: Faker, n: int, size: int) -> Document:
    oncall, ip = fake.name(), fake.ipv4_private()
    w = Writer(rng, fake)

    def sentence() -> str:
        return rng.choice(
            [
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} alert on host {fake.hostname()} cleared after "
                f"{rng.randint(1, 30)} minutes.",
                f"Routine patching of {rng.choice(SYSTEMS)} completed without errors.",
                f"Ticket {rng.randint(1000, 9999)} closed: {fake.sentence(nb_words=7).lower()}",
                f"Backup job for {fake.domain_word()} finished in {rng.randint(5, 90)} minutes.",
            ]
        )

    w.paragraphs.append(f"Incident log. On-call engineer: {oncall}. Jump host {ip}.")
    w.filler(sentence, size)
    system, minutes = rng.choice(SYSTEMS), rng.randint(35, 480)
    cause = rng.choice(["an expired TLS certificate", "a full disk", "a bad DNS record"])
    outages = [rng.randint(5, 120) for _ in range(2)]
    w.plant(f"Major incident: the {system} was down for {minutes} minutes.")
    w.plant(f"Root cause of the {system} outage: {cause}.")
    w.plant(f"First outage of the printer fleet lasted {outages[0]} minutes.")
    w.plant(f"Second outage of the printer fleet lasted {outages[1]} minutes.")
    tasks = [
        Task(
            f"incidents{n}-duration",
            "incidents",
            "lookup",
            f"How many minutes was the {system} down in the major incident?",
            [f"{minutes}"],
        ),
        Task(
            f"incidents{n}-cause",
            "incidents",
            "lookup",
            f"What was the root cause of the {system} outage?",
            [cause.split(" ", 1)[1]],
        ),
        Task(
            f"incidents{n}-printers",
            "incidents",
            "aggregation",
            "How many minutes did the two printer fleet outages last in total?",
            [f"{sum(outages)}"],
        ),
    ]
    return Document(f"incidents{n}", "incidents", w.text(), [oncall, ip], tasks)


KINDS = [patient, financial, contract, incidents]


def generate(seed: int, docs: int) -> list[Document]:
    """``docs`` documents (the kinds in turn), sizes 20k-100k characters; same seed, same set."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    out = []
    for i in range(docs):
        size = rng.randint(20_000, 95_000)
        doc = KINDS[i % len(KINDS)](rng, fake, i, size)
        for t in doc.tasks:
            t.doc, t.private = doc.id, list(doc.private)
        out.append(doc)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--docs", type=int, default=20)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    with args.out.open("w", encoding="utf-8") as out:
        for doc in generate(args.seed, args.docs):
            out.write(json.dumps({**asdict(doc), "tasks": [asdict(t) for t in doc.tasks]}) + "\n")


if __name__ == "__main__":
    main()
