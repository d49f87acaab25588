"""The leak corpus: generated private documents with ground-truth values, run through the plan
path with no cloud, counting every ground-truth value that reaches an outbound string.

Documents come from the seeded multi-domain generator of ``bench/pii/devset`` (names, e-mails,
phones, street addresses, national IDs, IBANs, card numbers, secrets, dates of birth, handles,
ID codes, case and record numbers; English, French, Spanish, German, and names in non-Latin
scripts; a share PII-free) with a seed of its own, so the corpus is not the development set;
one document in ten also gets a card number (the generator plants few).
``sizes(n)`` picks the generator's counts so that it yields exactly ``n`` documents.

Each document is planned as a request of its own (a fresh vault) by the real pipeline built
from the edge settings with ``offline=True`` (what ``privsplit plan`` runs). A value *leaks*
when its normalized form (NFKC, case-folded, spaces collapsed) appears in a normalized
outbound string between non-alphanumeric boundaries. A blocked request sends nothing: it is
safe but useless, and counted apart (the block rate). ORGANIZATION, LOCATION and URL are
quasi-identifiers: reported, not part of the target of zero.
"""

from __future__ import annotations

import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SEED = 1717  # the corpus's own seed (the development set uses 13)
QUASI = frozenset({"ORGANIZATION", "LOCATION", "URL"})


def generate(n: int, *, seed: int = SEED) -> list[dict]:
    """Exactly ``n`` documents (``n`` a multiple of 10, at least 20)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pii"))
    from devset import generate as devset  # noqa: PLC0415 (bench/pii is no package)

    per_domain, per_language = sizes(n)
    records = devset(seed=seed, per_domain=per_domain, per_language=per_language)
    assert len(records) == n, (len(records), n)
    _add_cards(records, seed)
    return records


CARD_LINES = {
    "en": "Card on file: {card}, exp {exp}.",
    "fr": "Carte enregistrée : {card}, exp. {exp}.",
    "es": "Tarjeta registrada: {card}, cad. {exp}.",
    "de": "Hinterlegte Karte: {card}, gültig bis {exp}.",
}


def _add_cards(records: list[dict], seed: int) -> None:
    """The development set rarely plants card numbers: every tenth document with private
    data gets a line with a Luhn-valid one (Faker, spaced or not) and its span."""
    import random

    from faker import Faker

    fake, rng = Faker(), random.Random(seed)
    fake.seed_instance(seed)
    for record in records[3::10]:
        if not record["spans"]:
            continue
        card = fake.credit_card_number()
        if rng.random() < 0.5 and len(card) == 16:
            card = " ".join(card[i : i + 4] for i in range(0, 16, 4))
        line = CARD_LINES.get(record["lang"], CARD_LINES["en"])
        head, _, tail = line.partition("{card}")
        start = len(record["text"]) + 1 + len(head)
        record["text"] += "\n" + head + card + tail.format(exp=fake.credit_card_expire())
        record["spans"].append({"start": start, "end": start + len(card), "type": "CREDIT_CARD"})


def sizes(n: int) -> tuple[int, int]:
    """The generator writes 10 * per_domain + 3 * per_language documents (per_domain even):
    about three quarters from the English domains, the rest in the other languages."""
    if n % 10 or n < 20:
        raise ValueError("the corpus size must be a multiple of 10, at least 20")
    target = n * 3 // 40
    for per_domain in sorted(range(0, n // 10 + 1, 2), key=lambda d: abs(d - target)):
        if per_domain and (n - 10 * per_domain) % 3 == 0:
            return per_domain, (n - 10 * per_domain) // 3
    raise ValueError(f"no generator sizes give {n} documents")


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def leaked(value: str, outbound: Iterable[str]) -> bool:
    needle = norm(value)
    if not needle:
        return False
    pattern = re.compile(r"(?<![^\W_])" + re.escape(needle) + r"(?![^\W_])")
    return any(pattern.search(norm(text)) for text in outbound)


@dataclass
class Report:
    documents: int = 0
    blocked: int = 0
    local: int = 0
    values: Counter = field(default_factory=Counter)  # ground-truth values, by type
    leaks: Counter = field(default_factory=Counter)  # of them, reaching an outbound string
    examples: list[tuple[str, str]] = field(default_factory=list)  # (doc id, type), no values
    seconds: float = 0.0

    @property
    def direct_values(self) -> int:
        return sum(n for t, n in self.values.items() if t not in QUASI)

    @property
    def direct_leaks(self) -> int:
        return sum(n for t, n in self.leaks.items() if t not in QUASI)

    @property
    def block_rate(self) -> float:
        return self.blocked / self.documents if self.documents else 0.0

    def table(self) -> str:
        rows = [f"{'type':<24}{'values':>8}{'leaked':>8}"]
        for t in sorted(self.values):
            mark = "  (quasi)" if t in QUASI else ""
            rows.append(f"{t:<24}{self.values[t]:>8}{self.leaks[t]:>8}{mark}")
        rows.append(f"{'direct identifiers':<24}{self.direct_values:>8}{self.direct_leaks:>8}")
        rows.append(
            f"documents {self.documents}, blocked {self.blocked} "
            f"({self.block_rate:.1%}), answered locally {self.local}, "
            f"{self.seconds:.0f} s ({self.seconds / max(1, self.documents) * 1000:.0f} ms/doc)"
        )
        return "\n".join(rows)


def build_planner(**overrides):
    """The pipeline ``privsplit plan`` runs, offline, in ``pipeline.mode=redact`` by default
    (the detectors, the rare-term pass, the sweep of known values and the egress guard; the
    edge model's extra pass is left out, so this is the floor of the protection)."""
    from privsplit.edge.provider import build_pipeline
    from privsplit.edge.settings import EdgeSettings

    pipeline = {"mode": "redact", **overrides}
    return build_pipeline(EdgeSettings.load(None, pipeline=pipeline), offline=True)


def measure(records: list[dict], pipeline=None, *, progress=None) -> Report:
    from privsplit.edge.privacy.vault import Vault
    from privsplit.shared.errors import PrivacyBlocked

    pipeline = pipeline or build_planner()
    report, started = Report(), time.perf_counter()
    for i, record in enumerate(records):
        text = record["text"]
        report.documents += 1
        if not text.strip():
            continue
        try:
            plan = pipeline.plan_request(text, Vault())
            route, outbound = plan.route, plan.outbound
        except PrivacyBlocked:
            route, outbound = "blocked", []
        report.blocked += route == "blocked"
        report.local += route == "local"
        for span in record["spans"]:
            report.values[span["type"]] += 1
            if leaked(text[span["start"] : span["end"]], outbound):
                report.leaks[span["type"]] += 1
                report.examples.append((record["id"], span["type"]))
        if progress is not None and (i + 1) % 500 == 0:
            progress(i + 1, report)
    report.seconds = time.perf_counter() - started
    return report
