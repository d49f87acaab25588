"""Step guard: the egress guard over exactly the strings that would leave the device, then the
re-identification budget (``privsplit.edge.privacy.quasi``).

A planner output the guard refuses is dropped for the plain hidden question
(``Plan.fall_back``), which is checked again; a second refusal is raised (nothing is sent).
The budget may generalize or hide what the plan sends, or refuse it; whatever it leaves is
checked once more. Requests that do not go to the cloud pass untouched; ``blocked(plan)`` is
the refusal of one the policy blocks.
"""

from __future__ import annotations

from privsplit.edge.pipeline.plan import Plan
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.quasi import ReidBudget
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import PrivacyBlocked
from privsplit.shared.logging import get_logger

log = get_logger(__name__)


def guard(plan: Plan, vault: Vault, *, guard: EgressGuard, budget: ReidBudget | None) -> None:
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
    log.info("planned", entities=len(plan.entity_types), subqueries=len(plan.outbound))


def blocked(plan: Plan) -> PrivacyBlocked:
    """The refusal of a request the policy blocks (route ``blocked``): nothing was sent."""
    return PrivacyBlocked(
        f"the policy blocks requests with {plan.reason}; nothing was sent",
        entity_types=(plan.reason,),
    )
