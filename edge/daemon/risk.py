"""The re-identification budget's report, as the daemon returns it over gRPC and HTTP.

``ReidReport.of(decisions)`` reads what the budget recorded for a request (``AskResult.reid``
or a plan's decisions: ``reid_spent_bits``, ``reid_budget_bits`` and ``reid:KIND`` ->
``generalized:LEVEL`` | ``hidden``) and keeps only what may leave the daemon: numbers, kinds
spelled as the budget's fixed upper-case names, actions from a closed set and level names in
lower case. Anything else (a value that would have slipped into a key or a step) is dropped
and counted in the log, never passed on. ``None`` when no budget applied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from privsplit.shared.logging import get_logger
from privsplit.shared.proto import edge

log = get_logger(__name__)
_KIND = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
_LEVEL = re.compile(r"^[a-z][a-z_]{0,23}$")
_ACTIONS = {"generalized": edge.REID_ACTION_GENERALIZED, "hidden": edge.REID_ACTION_HIDDEN}


@dataclass(frozen=True)
class ReidStepReport:
    kind: str  # AGE, LOCATION, ... (the budget's attribute kinds)
    action: str  # generalized | hidden
    level: str = ""  # with generalized: band, region, year, ...


@dataclass(frozen=True)
class ReidReport:
    spent_bits: float
    budget_bits: float
    steps: tuple[ReidStepReport, ...] = ()

    @classmethod
    def of(cls, decisions: Mapping[str, str]) -> ReidReport | None:
        spent = _bits(decisions.get("reid_spent_bits"))
        budget = _bits(decisions.get("reid_budget_bits"))
        if spent is None or budget is None:
            return None
        steps: list[ReidStepReport] = []
        dropped = 0
        for key, value in sorted(decisions.items()):
            if not key.startswith("reid:"):
                continue
            kind = key[len("reid:") :]
            for step in str(value).split(","):
                action, _, level = step.partition(":")
                ok = (
                    _KIND.match(kind)
                    and action in _ACTIONS
                    and (not level or _LEVEL.match(level))
                    and not (action == "hidden" and level)
                )
                if ok:
                    steps.append(ReidStepReport(kind, action, level))
                else:
                    dropped += 1
        if dropped:
            log.warning("reid_report_dropped", steps=dropped)
        return cls(spent_bits=spent, budget_bits=budget, steps=tuple(steps))

    def to_pb(self) -> edge.ReidRisk:
        return edge.ReidRisk(
            spent_bits=self.spent_bits,
            budget_bits=self.budget_bits,
            steps=[
                edge.ReidStep(kind=s.kind, action=_ACTIONS[s.action], level=s.level)
                for s in self.steps
            ],
        )

    def to_json(self) -> dict[str, Any]:
        """The HTTP API's ``privsplit.reid`` object."""
        return {
            "spent_bits": self.spent_bits,
            "budget_bits": self.budget_bits,
            "remaining_bits": round(max(0.0, self.budget_bits - self.spent_bits), 2),
            "steps": [
                {"kind": s.kind, "action": s.action, **({"level": s.level} if s.level else {})}
                for s in self.steps
            ],
        }


def _bits(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return round(value, 2) if value is not None and math.isfinite(value) else None
