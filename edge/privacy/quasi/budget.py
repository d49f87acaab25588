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

k ~ population / 2**bits; the default budget, 26 bits against 8.0e9 people, expects k ~ 119:
k >= 50 with one bit of margin for the tail (bench/reid measures why the margin matters).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from privsplit.edge.privacy.quasi.echo import Generalization
from privsplit.edge.privacy.quasi.extract import Finding, extract
from privsplit.edge.privacy.quasi.tables import Tables
from privsplit.edge.privacy.vault import Vault, normalize
from privsplit.shared.errors import ReidBudgetExceeded
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
OverBudget = Literal["hide", "block"]
DEFAULT_BUDGET_BITS = 26.0  # log2(8.0e9 / 50) = 27.25, less one bit of margin


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


class _Account:
    """The spend: per attribute, the most specific of what was spent and what this batch sends
    (kept per attribute, so a step re-reads one attribute, not the batch). ``counts`` holds,
    per attribute, how many items sit at each number of bits: a step reads the few distinct
    values, not every item (a hostile batch may hold thousands of one attribute)."""

    def __init__(self, spent: dict[str, float], items: list[_Item]) -> None:
        self.spent, self.items = spent, items
        self.by_attribute: dict[str, list[int]] = defaultdict(list)
        self.counts: dict[str, Counter[float]] = defaultdict(Counter)
        for i, item in enumerate(items):
            self.by_attribute[item.attribute].append(i)
            self.counts[item.attribute][item.bits_at(item.level)] += 1
        self.value = {a: self._value(a) for a in {*spent, *self.by_attribute}}

    def _value(self, attribute: str, moved: int = -1, level: int = 0) -> float:
        counts = self.counts.get(attribute, Counter())
        best = self.spent.get(attribute, 0.0)
        if moved < 0:
            return max([best, *counts])
        item = self.items[moved]
        now = item.bits_at(item.level)
        others = (b for b, n in counts.items() if n > 1 or b != now)
        return max(best, item.bits_at(level), *others)

    @property
    def total(self) -> float:
        return sum(self.value.values())

    def saving(self, i: int, level: int) -> float:
        attribute = self.items[i].attribute
        if self.items[i].bits_at(self.items[i].level) < self.value[attribute]:
            return 0.0  # not the most specific of its attribute: moving it changes nothing
        return self.value[attribute] - self._value(attribute, i, level)

    def move(self, i: int, level: int) -> None:
        """Set item ``i`` to ``level`` (-1: hidden)."""
        item = self.items[i]
        counts = self.counts[item.attribute]
        counts[item.bits_at(item.level)] -= 1
        if not counts[item.bits_at(item.level)]:
            del counts[item.bits_at(item.level)]
        item.level = len(item.ladder) if level < 0 else level
        counts[item.bits_at(item.level)] += 1
        self.value[item.attribute] = self._value(item.attribute)

    # a heap of (-saving, -bits, item, level): the next generalization is the one that saves
    # most (then the most specific); entries are checked when popped, so stale ones are skipped
    def offer(self, heap: list[tuple[float, float, int, int]], i: int) -> None:
        item = self.items[i]
        if item.level < len(item.ladder) - 1:
            saving = self.saving(i, item.level + 1)
            heapq.heappush(heap, (-saving, -item.bits_at(item.level), i, item.level))

    def offer_top(self, heap: list[tuple[float, float, int, int]], attribute: str) -> None:
        """Offer the items that hold ``attribute``'s value: only they can save bits (offering
        every item of an attribute after every step made a hostile batch of many values of
        one attribute cubic)."""
        top = self.value[attribute]
        for j in self.by_attribute.get(attribute, ()):
            item = self.items[j]
            if item.bits_at(item.level) >= top - 1e-9 and item.level < len(item.ladder) - 1:
                self.offer(heap, j)
                return  # one of the tied holders at a time: each step re-offers the next

    def generalize(self, heap: list[tuple[float, float, int, int]]) -> bool:
        """Take the best generalization step; False when none is left."""
        while heap:
            neg_saving, _, i, level = heapq.heappop(heap)
            if self.items[i].level != level:
                continue  # stale: the item moved since
            if self.saving(i, level + 1) != -neg_saving:
                self.offer(heap, i)  # its attribute changed: queue it with the fresh saving
                continue
            self.move(i, level + 1)
            self.offer_top(heap, self.items[i].attribute)  # their savings changed
            return True
        return False


@dataclass(frozen=True)
class BudgetStep:
    texts: list[str]  # the batch as it may leave
    revealed: dict[str, float]  # attribute -> bits, the conversation's after this batch
    spent_bits: float
    decisions: dict[str, str]  # "reid:KIND" -> "generalized:LEVEL" | "hidden", spend, budget
    changed: bool
    # what was generalized: its echoes in the answer get the written value back (quasi.echo)
    generalized: tuple[Generalization, ...] = ()


class ReidBudget:
    def __init__(self, *, budget_bits: float = DEFAULT_BUDGET_BITS, on_over: OverBudget = "hide"):
        self.budget_bits = budget_bits
        self.on_over = on_over

    def apply(self, texts: Sequence[str], vault: Vault) -> BudgetStep:
        spent = vault.revealed()
        grouped: dict[tuple[str, str, str], _Item] = {}
        for index, text in enumerate(texts):
            for f in extract(text):
                key = (f.kind, f.attribute, normalize(f.value))
                item = grouped.setdefault(key, _Item(f.kind, f.attribute, f.value, f.ladder))
                item.places.append((index, f))
        items = list(grouped.values())
        account = _Account(spent, items)
        heap: list[tuple[float, float, int, int]] = []
        for attribute in account.by_attribute:
            account.offer_top(heap, attribute)
        while account.total > self.budget_bits + 1e-9:
            if not account.generalize(heap):
                account.offer_top(heap, self._hide(account))
        total = account.total
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
        generalized = tuple(
            Generalization(
                item.kind, f.value, item.ladder[item.level].text, _word_before(texts[i], f)
            )
            for item in items
            if 0 < item.level < len(item.ladder)
            for i, f in item.places
        )
        if generalized:  # the audit record says that echoes of them are restored on the device
            decisions["reid_restore"] = "echoes"
        if outcome:
            log.info("reid_budget_applied", changed=len(outcome), spent_bits=round(total, 1))
        return BudgetStep(out, revealed, total, decisions, bool(outcome), generalized)

    def _hide(self, account: _Account) -> str:
        """Nothing left to generalize: hide the costliest finding (its attribute is returned),
        or block."""
        items = account.items
        open_items = [i for i, it in enumerate(items) if not it.hidden and it.bits_at(it.level)]
        if self.on_over == "block" or not open_items:
            total = account.total
            log.warning("reid_budget_blocked", spent_bits=round(total, 1))
            raise ReidBudgetExceeded(
                f"this conversation would reveal {total:.1f} bits about a person "
                f"(budget {self.budget_bits:.1f}, k ~ {k_anonymity(total):.0f}); "
                "nothing was sent",
                entity_types=tuple(sorted({items[i].kind for i in open_items})) or ("REID",),
            )
        costliest = max(open_items, key=lambda i: items[i].bits_at(items[i].level))
        attribute, bits = (
            items[costliest].attribute,
            items[costliest].bits_at(items[costliest].level),
        )
        for i in open_items:  # its ties too: hiding one of them alone would save nothing
            if items[i].attribute == attribute and items[i].bits_at(items[i].level) >= bits - 1e-9:
                account.move(i, -1)
        return attribute

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


def _word_before(text: str, f: Finding) -> str:
    found = re.search(r"([\w'’-]+)\W*$", text[max(0, f.start - 60) : f.start])
    return found.group(1) if found else ""


def budget_bits_for(k: float, population: float | None = None) -> float:
    """The budget that keeps ``k`` people matching in ``population`` (the world by default)."""
    return math.log2((population or Tables.load().world) / k)
