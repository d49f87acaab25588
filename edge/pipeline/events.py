"""What one request emits: ``PipelineEvent``, the one event type of an edge request, and
``AskResult``, the whole result the last event carries.

The pipeline yields these events; the daemon adds its own (``approval_required``) to the same
stream, and the gRPC servicer, the HTTP API and the CLI consume them as they are. Only the
gRPC boundary converts them (to ``StreamAskResponse``, in ``edge/daemon/service.py``).

Kinds, in the order a request emits them:

- ``stage``: a step starts (``stage`` names it: redact | summarize, hide, plan, guard,
  answer_locally | cache | delegate, merge);
- ``progress``: how far a long step is (``progress``, a ``StepProgress``: chunks of the
  documents read / to read, elapsed seconds, an ETA), while summarize runs;
- ``draft``: the confidence cascade's draft of a request it escalates (``text``), only with
  ``pipeline.cascade_show_draft``;
- ``approval_required``: the daemon holds the send for approval (``request_id``, ``outbound``);
- ``outbound``: the egress hooks released exactly ``outbound`` (``route`` says where to);
- ``delta``: a piece of the restored answer (``text``);
- ``done``: the whole ``result`` (last).

A new kind is one more name in ``EventKind`` (and a field here if it carries something new);
a consumer that does not know a kind skips it (the gRPC servicer's table drops it until the
wire has a field for it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from privsplit.edge.pipeline.progress import StepProgress
from privsplit.shared.logging import get_logger
from privsplit.shared.types import Usage

if TYPE_CHECKING:  # the plan is read, never imported at run time (it imports the stages)
    from privsplit.edge.pipeline.plan import Plan

log = get_logger(__name__)

EventKind = Literal["stage", "progress", "draft", "approval_required", "outbound", "delta", "done"]


@dataclass
class AskResult:
    answer: str
    route: str
    outbound: list[str]
    cloud_usage: Usage = field(default_factory=Usage)
    seconds_total: float = 0.0
    seconds_edge: float = 0.0  # total minus the time spent waiting for the cloud
    local_context: str = ""  # the documents condensed on the device (placeholder form; never sent)
    model_output: str = ""  # pipeline.model_output_failure that applied (closed | best_effort)
    cache: str = ""  # the answer cache: "hit" (route=cache), "miss", or "" (not consulted)
    cascade: str = ""  # the confidence cascade: "local" (draft kept), "escalated", or "" (off)
    draft: str = ""  # the escalated draft, only with pipeline.cascade_show_draft
    # the re-identification budget: spent and budget bits, and "reid:KIND" -> what it did
    reid: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: Plan, tally: Tally, parts: Sequence[str], started: float) -> AskResult:
        """The result of ``plan`` answered in ``parts`` (logged by counts and timings only)."""
        total = time.perf_counter() - started
        result = cls(
            answer="".join(parts),
            route=tally.route,
            outbound=plan.sent if tally.route not in ("cache", "local") else [],
            cloud_usage=tally.usage,
            seconds_total=total,
            seconds_edge=max(0.0, total - tally.cloud_seconds),
            local_context=plan.context,
            model_output=plan.decisions.get("model_output", ""),
            cache=tally.cache,
            cascade=tally.cascade,
            draft=tally.draft,
            reid={k: v for k, v in plan.decisions.items() if k.startswith("reid")},
        )
        log.info(
            "answered",
            route=tally.route,
            subqueries=len(plan.outbound),
            prompt_tokens=tally.usage.prompt_tokens,
            completion_tokens=tally.usage.completion_tokens,
            seconds=round(total, 3),
            edge_seconds=round(result.seconds_edge, 3),
        )
        return result


@dataclass
class Tally:
    """How a request was answered: route, answer cache use, cloud tokens and the seconds
    spent waiting for the cloud (filled in by the answering steps)."""

    route: str
    cache: str = ""  # "hit" (route=cache), "miss", or "" (not consulted)
    cascade: str = ""  # "local" (the draft was kept), "escalated", or "" (cascade off)
    draft: str = ""  # the escalated draft when shown (pipeline.cascade_show_draft)
    usage: Usage = field(default_factory=Usage)
    cloud_seconds: float = 0.0


@dataclass(frozen=True)
class PipelineEvent:
    """One event of a streamed request (see the module docstring for the kinds)."""

    kind: EventKind
    stage: str = ""
    text: str = ""
    outbound: tuple[str, ...] = ()
    route: str = ""
    request_id: str = ""
    result: AskResult | None = None
    progress: StepProgress | None = None

    @classmethod
    def step(cls, stage: str) -> PipelineEvent:
        return cls("stage", stage=stage)

    @classmethod
    def delta(cls, text: str) -> PipelineEvent:
        return cls("delta", text=text)
