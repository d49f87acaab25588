"""Step guard: the egress guard over exactly the strings that would leave the device, then the
re-identification budget (``privsplit.edge.privacy.quasi``).

A planner output the guard refuses is dropped for the plain hidden question
(``Plan.fall_back``), which is checked again; a second refusal is raised (nothing is sent).
The budget may generalize or hide what the plan sends, or refuse it; whatever it leaves is
checked once more. Last, with ``stand_ins``, the name placeholders of what passed get their
made-up names for the wire (``privacy.standins``); if the text with them held a value of the
vault (it cannot by construction; checked anyway), the placeholders go as they are. Requests
that do not go to the cloud pass untouched; ``blocked(plan)`` is the refusal of one the policy
blocks.
"""

from __future__ import annotations

from privsplit.edge.pipeline.plan import Plan
from privsplit.edge.privacy.guard import EgressGuard, find_known
from privsplit.edge.privacy.quasi import ReidBudget
from privsplit.edge.privacy.standins import StandIns
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import PrivacyBlocked
from privsplit.shared.logging import get_logger

log = get_logger(__name__)


def guard(
    plan: Plan,
    vault: Vault,
    *,
    guard: EgressGuard,
    budget: ReidBudget | None,
    stand_ins: bool = False,
) -> None:
    if plan.route != "cloud":
        return
    try:
        guard.check(plan.outbound, vault)
    except PrivacyBlocked as exc:  # the planner wrote something private: drop its output
        if not plan.fall_back():
            raise
        log.warning("plan_rejected_by_guard", entity_types=list(exc.entity_types))
        guard.check(plan.outbound, vault)
    if budget is not None and plan.keep_under(budget, vault):  # may refuse
        guard.check(plan.outbound, vault)
    if stand_ins:
        give_stand_ins(plan, vault)
    log.info("planned", entities=len(plan.entity_types), subqueries=len(plan.outbound))


def give_stand_ins(plan: Plan, vault: Vault) -> None:
    plan.stand_ins = StandIns.for_vault(plan.outbound, vault)
    if any(find_known(text, vault) for text in plan.sent):
        plan.stand_ins = StandIns()
        log.warning("stand_ins_dropped", reason="private_value")
    elif plan.stand_ins.chosen:
        plan.decisions["stand_ins"] = str(len(plan.stand_ins.chosen))


def blocked(plan: Plan) -> PrivacyBlocked:
    """The refusal of a request the policy blocks (route ``blocked``): nothing was sent."""
    return PrivacyBlocked(
        f"the policy blocks requests with {plan.reason}; nothing was sent",
        entity_types=(plan.reason,),
    )
