"""The conversation's re-identification budget: generalize, then hide, then block.

``ReidBudget.apply(texts, vault)`` reads the quasi-identifiers in a batch about to leave the
device and what the conversation already sent (``vault.revealed()``: bits per attribute, kept
in the encrypted vault). The spend is the sum over attributes of the most specific thing sent
about each (independence assumed; the max per attribute, so repeating "Leeds" costs nothing
and "Leeds" after "England" costs the city). While the spend would exceed ``budget_bits``, it
generalizes the finding whose next level saves the most bits (exact age -> 10-year band, city
-> region -> country, day -> month -> year, profession -> field, daughter -> child); then it
hides (a vault placeholder, restored in the answer) the costliest one left, or, with
``on_over="block"``, raises ``ReidBudgetExceeded``. Nothing is committed here: the caller
calls ``vault.reveal(step.revealed)`` once the batch was released.

k ~ population / 2**bits; the default budget (27 bits against 8.0e9 people) keeps k >= 50.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from privsplit.edge.privacy.quasi.extract import Finding, extract
from privsplit.edge.privacy.quasi.tables import Tables
from privsplit.edge.privacy.vault import Vault, normalize
from privsplit.shared.errors import ReidBudgetExceeded
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
OverBudget = Literal["hide", "block"]
DEFAULT_BUDGET_BITS = 27.0  # log2(8.0e9 / 50) = 27.25


def k_anonymity(bits: float, population: float | None = None) -> float:
    """The expected number of people matching what ``bits`` of surprisal describe."""
    return (population or Tables.load().world) / 2**bits


@dataclass
class _Item:
    """One fact of the batch, wherever it is written (same kind, attribute and value)."""

    kind: str
    attribute: str
    value: str
    ladder: tuple
    places: list[tuple[int, Finding]] = field(default_factory=list)
    level: int = 0  # len(ladder) = hidden

    @property
    def hidden(self) -> bool:
        return self.level >= len(self.ladder)

    def bits_at(self, level: int) -> float:
        return 0.0 if level >= len(self.ladder) else self.ladder[level].bits


@dataclass(frozen=True)
class BudgetStep:
    texts: list[str]  # the batch as it may leave
    revealed: dict[str, float]  # attribute -> bits, the conversation's after this batch
    spent_bits: float
    decisions: dict[str, str]  # "reid:KIND" -> "generalized:LEVEL" | "hidden", spend, budget
    changed: bool


class ReidBudget:
    def __init__(self, *, budget_bits: float = DEFAULT_BUDGET_BITS, on_over: OverBudget = "hide"):
        self.budget_bits = budget_bits
        self.on_over = on_over

    def _spend(self, spent: dict[str, float], items: Sequence[_Item], at: dict[int, int]) -> float:
        acc = dict(spent)
        for i, item in enumerate(items):
            b = item.bits_at(at.get(i, item.level))
            acc[item.attribute] = max(acc.get(item.attribute, 0.0), b)
        return sum(acc.values())

    def apply(self, texts: Sequence[str], vault: Vault) -> BudgetStep:
        spent = vault.revealed()
        grouped: dict[tuple[str, str, str], _Item] = {}
        for index, text in enumerate(texts):
            for f in extract(text):
                key = (f.kind, f.attribute, normalize(f.value))
                item = grouped.setdefault(key, _Item(f.kind, f.attribute, f.value, f.ladder))
                item.places.append((index, f))
        items = list(grouped.values())
        total = self._spend(spent, items, {})
        while total > self.budget_bits + 1e-9:
            total = self._tighten(spent, items, total)
        decisions = {
            "reid_spent_bits": f"{total:.1f}",
            "reid_budget_bits": f"{self.budget_bits:.1f}",
        }
        outcome: dict[str, set[str]] = defaultdict(set)
        for item in items:
            if item.level:
                step = "hidden" if item.hidden else f"generalized:{item.ladder[item.level].name}"
                outcome[f"reid:{item.kind}"].add(step)
        decisions.update({k: ",".join(sorted(v)) for k, v in outcome.items()})
        revealed = dict(spent)
        for item in items:
            revealed[item.attribute] = max(
                revealed.get(item.attribute, 0.0), item.bits_at(item.level)
            )
        out = [self._rewrite(i, text, items, vault) for i, text in enumerate(texts)]
        if outcome:
            log.info("reid_budget_applied", changed=len(outcome), spent_bits=round(total, 1))
        return BudgetStep(out, revealed, total, decisions, changed=bool(outcome))

    def _tighten(self, spent: dict[str, float], items: list[_Item], total: float) -> float:
        """One step: generalize the item that saves most, else hide the costliest, else block."""
        best, best_key = None, (-1.0, -1.0)
        for i, item in enumerate(items):
            if item.level < len(item.ladder) - 1:
                saved = total - self._spend(spent, items, {i: item.level + 1})
                key = (saved, item.bits_at(item.level))
                if key > best_key:
                    best, best_key = i, key
        if best is None:
            open_items = [i for i, it in enumerate(items) if not it.hidden and it.bits_at(it.level)]
            if self.on_over == "block" or not open_items:
                log.warning("reid_budget_blocked", spent_bits=round(total, 1))
                raise ReidBudgetExceeded(
                    f"this conversation would reveal {total:.1f} bits about a person "
                    f"(budget {self.budget_bits:.1f}, k ~ {k_anonymity(total):.0f}); "
                    "nothing was sent",
                    entity_types=tuple(sorted({items[i].kind for i in open_items})) or ("REID",),
                )
            best = max(open_items, key=lambda i: items[i].bits_at(items[i].level))
            items[best].level = len(items[best].ladder)
        else:
            items[best].level += 1
        return self._spend(spent, items, {})

    @staticmethod
    def _rewrite(index: int, text: str, items: Sequence[_Item], vault: Vault) -> str:
        edits = []
        for item in items:
            if not item.level:
                continue
            for where, f in item.places:
                if where != index:
                    continue
                if item.hidden:
                    new = vault.placeholder_for(item.kind, f.value)
                else:
                    new = item.ladder[item.level].text
                edits.append((f.start, f.end, new))
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        return text


def budget_bits_for(k: float, population: float | None = None) -> float:
    """The budget that keeps ``k`` people matching in ``population`` (the world by default)."""
    return math.log2((population or Tables.load().world) / k)
