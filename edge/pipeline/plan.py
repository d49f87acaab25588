"""Stage plan: route the request, and turn it into minimal, self-contained sub-queries.

``plan_subqueries(plan, vault, ...)`` is the step: the policy routes the request, then the
sub-queries are written. ``Plan`` is what a request turns into on its way out, and the methods
that change it live here: ``hide`` (placeholders for what the hide step found), ``reroute`` (the policy by entity
type), ``write_subqueries`` (the planner's sub-queries, or the request itself as one),
``fall_back`` (after the guard refused the planner's) and ``keep_under`` (the
re-identification budget).

The planner sees only redacted text (the request and the condensed context, both in
placeholder form), so it cannot copy a hidden value into a sub-query. Its output is
constrained to JSON by a schema; when it produces nothing usable, the redacted request itself
is the single sub-query (still redacted and guarded like any other).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from privsplit.edge.pipeline.hide import Hidden, apply_hidden, sweep
from privsplit.edge.pipeline.local import fit_to_context, local_params
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.retrieve import parts_of, some_parts
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.quasi import ReidBudget
from privsplit.edge.privacy.quasi.echo import Generalization
from privsplit.edge.privacy.spans import Redaction
from privsplit.edge.privacy.standins import StandIns
from privsplit.edge.privacy.vault import Vault
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

    def runs_for(self, context: str) -> bool:
        """Whether the request is rewritten into sub-queries (``decompose``)."""
        decompose = self.settings.decompose
        return decompose == "always" or (decompose == "documents" and bool(context))


@dataclass
class Plan:
    """What a request turns into. ``question``/``context`` are redacted; the raw condensed
    context stays in ``private_context`` (on the device only, never logged)."""

    route: Route
    reason: str
    outbound: list[str]
    question: str
    context: str
    entity_types: tuple[str, ...]
    private_context: str = field(default="", repr=False)
    # the result the question asks for, computed on the device from the documents (arith)
    device_answer: str = field(default="", repr=False)
    decisions: dict[str, str] = field(default_factory=dict)  # entity type -> policy action
    revealed: dict[str, float] = field(default_factory=dict)  # the re-identification budget's
    # what the budget generalized: the answer's echoes of it get the written value back
    generalized: tuple[Generalization, ...] = ()
    # per part of the question (retrieve.parts_of): answered by the documents (True) or beyond
    # them (False: general knowledge, for the cloud), when the reading settled every part; ()
    # when that is not known (Summarizer.stats.beyond)
    answered_parts: tuple[bool, ...] = ()
    by_parts: bool = False  # the cloud is asked the parts the documents leave (no planner call)
    # made-up names for the name placeholders of ``outbound``, on the wire only (``sent``)
    stand_ins: StandIns = field(default_factory=StandIns)

    @classmethod
    def prepared(
        cls,
        request: Redaction,
        context: Redaction,
        private_context: str,
        model_output: str,
        device_answer: str = "",
        answered_parts: tuple[bool, ...] = (),
    ) -> Plan:
        """The plan of a redacted request and its redacted condensed context (route: cloud
        until the policy says otherwise); ``model_output`` is the failure mode that applies to
        unreadable model answers, recorded with the batch; ``device_answer`` the result the
        device computed from the documents (private, like ``private_context``);
        ``answered_parts`` which parts of the question the documents answer, when known."""
        return cls(
            route="cloud",
            reason="default",
            outbound=[],
            question=request.text,
            context=context.text,
            entity_types=tuple(sorted({s.entity_type for s in [*request.spans, *context.spans]})),
            private_context=private_context,
            device_answer=device_answer,
            answered_parts=answered_parts,
            decisions={**request.decisions, **context.decisions, "model_output": model_output},
        )

    @property
    def sent(self) -> list[str]:
        """Exactly what leaves the device: ``outbound`` with its stand-ins."""
        return [self.stand_ins.encode(query) for query in self.outbound]

    @property
    def whole(self) -> str:
        """The request as one sub-query: the question, then the redacted context; the question
        alone when the documents answer some parts of it and have nothing for the others
        (``answered_parts``): the context would tell the cloud nothing it is asked, so it stays
        on the device. Whatever else is sent is made from this text (the hider reads it)."""
        if self.answered_parts:
            return self.question
        return with_context(self.question, self.context)

    def unanswered(self) -> str:
        """The question asking only the parts the documents leave to the cloud (its statements
        in front), in placeholder form; "" when that is not known, or when the hidden question
        no longer splits into as many parts."""
        if not self.answered_parts or len(parts_of(self.question)) != len(self.answered_parts):
            return ""
        cloud = [k for k, answered in enumerate(self.answered_parts) if not answered]
        return some_parts(self.question, cloud) if cloud else ""

    def hide(self, items: Sequence[Hidden], vault: Vault) -> int:
        """Placeholders for ``items`` in the question and the context, then every other
        mention of a value the vault holds masked; the number of items replaced."""
        self.question, n_question = apply_hidden(self.question, items, vault)
        self.context, n_context = apply_hidden(self.context, items, vault)
        self.question, self.context = sweep([self.question, self.context], vault)
        self.entity_types = tuple(sorted({*self.entity_types, *(i.entity_type for i in items)}))
        self.decisions.update({i.entity_type: "pseudonymize" for i in items})
        return n_question + n_context

    def reroute(self, settings: PipelineSettings) -> Route:
        """The policy by entity type over what the request holds now."""
        decision = decide_route(self.entity_types, settings)
        self.route, self.reason = decision.route, decision.reason
        return self.route

    def write_subqueries(self, planner: Planner | None, vault: Vault) -> None:
        """What would leave (route cloud only): the request as one sub-query, or, in split mode
        (a ``planner``), when it runs: when the documents answer only some parts of the
        question (``answered_parts``), the other parts (``unanswered``; no model call: the
        device answers its parts, the cloud is not asked what only the documents know), else
        the planner's sub-queries; none of them when the documents answer the request (route
        local). In split mode the result is swept of known values: the planner may write one
        anew."""
        if self.route != "cloud":
            return
        self.outbound = [self.whole]
        if planner is None:
            return
        if planner.runs_for(self.context):
            if self.answered_parts:
                # no planner: it would read the context, which the hider did not (``whole``);
                # the hidden question itself when it no longer splits as the reading did
                asked = self.unanswered()
                self.outbound, self.by_parts = [asked or self.whole], bool(asked)
                log.info("planned_by_parts", parts=len(self.answered_parts), split=bool(asked))
            else:
                self.outbound = planner.plan(self.question, self.context)
                if not self.outbound:  # the documents answer it: nothing needs to leave
                    self.route, self.reason = "local", "answered_from_documents"
                    return
        self.outbound = sweep(self.outbound, vault)

    def fall_back(self) -> bool:
        """The request itself as the only sub-query (the guard refused the planner's); False
        when it already was."""
        if self.outbound == [self.whole]:
            return False
        self.outbound, self.by_parts = [self.whole], False
        return True

    def keep_under(self, budget: ReidBudget, vault: Vault) -> bool:
        """Generalize, then hide, then block (``ReidBudgetExceeded``) what the conversation
        would send about a person over the re-identification budget; True when it changed."""
        step = budget.apply(self.outbound, vault)
        self.outbound, self.revealed = step.texts, step.revealed
        self.generalized = step.generalized
        self.decisions.update(step.decisions)
        return step.changed


def plan_subqueries(
    plan: Plan, vault: Vault, *, settings: PipelineSettings, model: LocalModel | None
) -> None:
    """The step: the policy by entity type (``Plan.reroute``), then the sub-queries
    (``Plan.write_subqueries``), by the planner when there is an edge ``model`` (split mode)."""
    plan.reroute(settings)
    planner = Planner(model=model, settings=settings) if model is not None else None
    plan.write_subqueries(planner, vault)
    if plan.route != "cloud":
        log.info("routed", route=plan.route, reason=plan.reason)
