"""Stage 2, plan: route the request, and turn it into minimal, self-contained sub-queries.

The planner sees only redacted text (the request and the condensed context, both in
placeholder form), so it cannot copy a hidden value into a sub-query. Its output is
constrained to JSON by a schema; when it produces nothing usable, the redacted request itself
is the single sub-query (still redacted and guarded like any other).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from privsplit.edge.pipeline.local import fit_to_context, local_params
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.runtime import LocalModel
from privsplit.shared.logging import get_logger

log = get_logger(__name__)

Route = Literal["cloud", "local", "blocked"]


@dataclass(frozen=True)
class RouteDecision:
    route: Route
    reason: str  # an entity type or a policy name, never a value


def decide_route(entity_types: Iterable[str], settings: PipelineSettings) -> RouteDecision:
    """Policy by entity type: blocked beats local beats cloud."""
    found = set(entity_types)
    for entity_type in sorted(found.intersection(settings.blocked_entities)):
        return RouteDecision("blocked", entity_type)
    for entity_type in sorted(found.intersection(settings.local_only_entities)):
        return RouteDecision("local", entity_type)
    return RouteDecision("cloud", "default")


def with_context(question: str, context: str) -> str:
    """The request as one string: the question, then the (redacted) context when there is one."""
    return question if not context else f"{question}\n\nContext:\n{context}"


def plan_schema(max_subqueries: int, *, allow_empty: bool = True) -> dict:
    """``context_answers`` comes first: a small model decides before it starts writing
    sub-queries (with a list alone it nearly always writes one)."""
    subqueries = {
        "type": "array",
        "minItems": 0 if allow_empty else 1,
        "maxItems": max_subqueries,
        "items": {"type": "string", "minLength": 1},
    }
    if not allow_empty:  # the request must be delegated: no decision to make
        return {
            "type": "object",
            "properties": {"subqueries": subqueries},
            "required": ["subqueries"],
        }
    return {
        "type": "object",
        "properties": {"context_answers": {"type": "boolean"}, "subqueries": subqueries},
        "required": ["context_answers", "subqueries"],
    }


def parse_subqueries(raw: str, max_subqueries: int) -> list[str] | None:
    """Sub-queries from the planner's JSON ([] when the context answers the request); None
    when the output is not usable."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        return None
    items = data.get("subqueries") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    if data.get("context_answers") is True:
        return []
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip() and item.strip() not in out:
            out.append(item.strip())
    return out[:max_subqueries]


class Planner:
    def __init__(self, *, model: LocalModel, settings: PipelineSettings) -> None:
        self.model = model
        self.settings = settings

    def plan(self, question: str, context: str) -> list[str]:
        """Sub-queries for the redacted ``question`` and ``context``. Empty when the private
        context already answers the request (only possible when there is a context)."""
        s = self.settings
        fallback = [with_context(question, context)]
        if len(question) + len(context) > s.plan_max_input_chars:
            log.info("plan_skipped", reason="input_too_long", chars=len(question) + len(context))
            return fallback
        template = load_prompt("plan", s.prompt_version)
        budget = self.model.context_length - s.plan_max_tokens - 512
        messages = template.render(
            max_subqueries=str(s.max_subqueries),
            context=fit_to_context(self.model, context, budget // 3) or "(none)",
            question=fit_to_context(self.model, question, budget),
        )
        may_stay_local = s.plan_can_stay_local and bool(context.strip())
        raw = self.model.chat(
            messages,
            local_params(s.plan_max_tokens, s.seed),
            json_schema=plan_schema(s.max_subqueries, allow_empty=may_stay_local),
        )
        subqueries = parse_subqueries(raw, s.max_subqueries)
        if subqueries == [] and may_stay_local:
            log.info("planned_local", reason="context_answers")
            return []
        if not subqueries:
            log.warning("plan_unusable", chars=len(raw))
            return fallback
        log.info("planned_subqueries", subqueries=len(subqueries))
        return subqueries
