"""The confidence cascade: the edge model answers first; the device keeps that answer when it
is confident, and escalates to the cloud otherwise.

Contract:

- ``draft(model, text, ...)`` answers a request on the device. An arithmetic request that the
  exact evaluator (``arith``) can read is answered exactly, without the model (``source``
  ``arith``, always confident). Otherwise the edge model answers greedily and reports each
  token's log-probability (``LocalModel.stream(logprobs=...)``). A request longer than
  ``max_input_chars`` is not drafted (``source`` ``skipped``): it is beyond the small model's
  reach and drafting it would only add edge time.
- ``Draft.confidence`` is the measured signal: the mean token log-probability of the greedy
  answer (end-of-text token included). A draft that stopped at ``max_tokens`` is never
  confident: the answer is cut off. Why this signal and threshold: ``bench/collaboration/run.py``
  and ``docs``-level numbers in the report of issue 15 (sampled-answer agreement and the minimum
  token log-probability were measured against it).
- ``accept(draft, threshold)``: keep the draft when it finished and its confidence is at least
  ``threshold``; ``threshold_for(settings, private=...)`` says which threshold applies (None:
  the cascade is off for that kind of request).
- ``cascade(...)`` is the pipeline's step (see its docstring): route ``local`` when the draft
  is kept (nothing is sent), ``cascade-escalated`` when the cloud answers instead.
- Nothing here sends anything or logs text (the decision is logged with its confidence,
  threshold and timing only).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from fractions import Fraction

from privsplit.edge.pipeline.delegate import Delegator
from privsplit.edge.pipeline.events import PipelineEvent, Tally
from privsplit.edge.pipeline.expr import evaluate, format_number
from privsplit.edge.pipeline.plan import Plan
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import InvalidRequest
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams, Message

log = get_logger(__name__)

SOURCES = ("arith", "model", "skipped")


@dataclass
class Draft:
    """The device's own answer to a request and how sure it is."""

    text: str
    source: str  # arith | model | skipped
    logprobs: list[float] = field(default_factory=list, repr=False)
    finished: bool = True  # False: the answer stopped at max_tokens
    seconds: float = 0.0

    @property
    def confidence(self) -> float:
        """Mean token log-probability (0 is certain); ``-inf`` when there is no answer."""
        if self.source == "arith":
            return 0.0
        if not self.logprobs or not self.text.strip():
            return -math.inf
        return sum(self.logprobs) / len(self.logprobs)

    @property
    def min_logprob(self) -> float:
        if self.source == "arith":
            return 0.0
        return min(self.logprobs) if self.logprobs and self.text.strip() else -math.inf


def accept(draft: Draft, threshold: float) -> bool:
    """Whether the device keeps its own answer (see the module docstring)."""
    return draft.source != "skipped" and draft.finished and draft.confidence >= threshold


def threshold_for(settings: PipelineSettings, *, private: bool) -> float | None:
    """The threshold that applies to a request, or None when the cascade is off for it:
    ``cascade_overrides[plain|private]`` first, else ``cascade_threshold`` when on."""
    default: float | str = settings.cascade_threshold if settings.cascade == "on" else "off"
    value = settings.cascade_overrides.get("private" if private else "plain", default)
    return None if value == "off" else float(value)


def draft_messages(text: str, prompt_version: str = "v1") -> tuple[Message, Message]:
    return load_prompt("cascade_draft", prompt_version).render(question=text)


async def cascade(
    text: str,
    plan: Plan,
    tally: Tally,
    escalate: AsyncIterator[PipelineEvent],
    *,
    model: LocalModel | None,
    settings: PipelineSettings,
    documents: bool,
    delegator: Delegator | None = None,
) -> AsyncIterator[PipelineEvent]:
    """The cascade step of ``Pipeline.stream``: for a request headed for the cloud (route
    cloud, no documents) with the cascade on for its kind, the device drafts first. A kept
    draft is the answer (route ``local``): ``escalate`` is never started, so nothing is sent,
    no egress hook runs and no audit record is written. Otherwise the events of ``escalate``
    (the cloud branch) follow, with route ``cascade-escalated`` (the audit record says so);
    the draft is shown first (a ``draft`` event) only with ``cascade_show_draft``. When
    the ``delegator``'s answer cache holds the answer, nothing is drafted: the cache answers
    (route ``cache``; it costs a look-up, a draft costs a model run)."""
    threshold = None
    if plan.route == "cloud" and not documents:
        threshold = threshold_for(settings, private=bool(plan.entity_types))
    if threshold is None or (delegator is not None and await delegator.holds(plan.outbound)):
        async for event in escalate:
            yield event
        return
    yield PipelineEvent.step("draft")
    d = await asyncio.to_thread(
        draft,
        model,
        text,
        max_tokens=settings.cascade_max_tokens,
        max_input_chars=settings.cascade_max_input_chars,
        seed=settings.seed,
        prompt_version=settings.prompt_version,
    )
    kept = accept(d, threshold)
    tally.cascade = "local" if kept else "escalated"
    tally.route = "local" if kept else "cascade-escalated"
    log.info(
        "cascade",
        kept=kept,
        source=d.source,
        confidence=round(d.confidence, 4) if d.source != "skipped" else None,
        threshold=threshold,
        seconds=round(d.seconds, 3),
    )
    if kept:
        yield PipelineEvent("outbound", route="local")
        yield PipelineEvent.delta(d.text)
        return
    if settings.cascade_show_draft and d.text:
        tally.draft = d.text
        yield PipelineEvent("draft", text=d.text)
    async for event in escalate:
        yield event


def draft(
    model: LocalModel | None,
    text: str,
    *,
    max_tokens: int,
    max_input_chars: int,
    seed: int = 42,
    prompt_version: str = "v1",
) -> Draft:
    """The device's answer to ``text`` (blocking; run it off the event loop)."""
    started = time.perf_counter()
    exact = arith_answer(text)
    if exact is not None:
        return Draft(exact, "arith", seconds=time.perf_counter() - started)
    if len(text) > max_input_chars or model is None or not model.supports_logprobs:
        return Draft("", "skipped", finished=False, seconds=time.perf_counter() - started)
    logprobs: list[float] = []
    params = GenerationParams(max_tokens=max_tokens, temperature=0.0, seed=seed)
    try:
        answer = "".join(
            model.stream(draft_messages(text, prompt_version), params, logprobs=logprobs)
        )
    except InvalidRequest:  # e.g. does not fit the edge model's context: the cloud answers
        return Draft("", "skipped", finished=False, seconds=time.perf_counter() - started)
    # max_tokens generated tokens and no end-of-text among them: the answer was cut off
    finished = len(logprobs) < max_tokens
    return Draft(answer.strip(), "model", logprobs, finished, time.perf_counter() - started)


# -- exact arithmetic in words -----------------------------------------------------------
_CUE = re.compile(
    r"^\s*(?:(?:please\s+)?(?:what\s+is|what's|whats|how\s+much\s+is|calculate|compute|evaluate"
    r"|work\s+out)\s*:?\s*)?",
    re.IGNORECASE,
)
_WORDS = [
    (r"\bmultiplied\s+by\b|\btimes\b|[×x](?=\s*[\d(])", "*"),
    (r"\bdivided\s+by\b|÷", "/"),
    (r"\bplus\b", "+"),
    (r"\bminus\b", "-"),
    (r"\bto\s+the\s+power\s+of\b|\^", "**"),
    (r"\bsquared\b", "**2"),
    (r"\bcubed\b", "**3"),
]
_PERCENT_OF = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(?:%|\s+percent)\s+of\s+", re.IGNORECASE)
_EXPRESSION = re.compile(r"^[\d\s.+\-*/()]+$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def arith_answer(text: str) -> str | None:
    """``"15% of 80 equals 12."`` for a request that is only arithmetic ("What is 15% of 80?",
    "calculate 17 times 23"), computed exactly; None for anything else (the model answers)."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    body = _CUE.sub("", text, count=1).strip().rstrip("?.!= ").strip()
    if not body or not re.search(r"\d", body):
        return None
    expression = _PERCENT_OF.sub(lambda m: f"({m.group(1)}/100)*", _THOUSANDS.sub("", body))
    for pattern, operator in _WORDS:
        expression = re.sub(pattern, f" {operator} ", expression, flags=re.IGNORECASE)
    if not _EXPRESSION.match(expression):
        return None  # words left over: not (only) arithmetic
    if not re.search(r"\d\s*[-+*/]|\)\s*\*", expression):
        return None  # a bare number is no calculation
    try:
        value: Fraction = evaluate(expression)
    except InvalidRequest:
        return None
    return f"{' '.join(body.split())} equals {format_number(value)}."
