"""Per-request sampling of the cloud's answers: the fields a caller may set, applied over the
pipeline's own ``GenerationParams``, or refused with a clear ``InvalidRequest``.

Callers set them through the OpenAI-compatible API (``max_tokens`` /
``max_completion_tokens``, ``temperature``, ``top_p``, ``seed``) or ``AskRequest.params`` on
gRPC (a zero field there means "not set", as the proto says). ``stop`` is refused: stop
strings would reach the cloud without passing the egress guard. ``presence_penalty`` and
``frequency_penalty`` are refused unless 0: no backend applies them. The edge model's own
generation (hide, plan, merge) stays deterministic whatever the request asks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from privsplit.shared.errors import InvalidRequest
from privsplit.shared.types import GenerationParams

MAX_TOKENS = 8192  # per sub-query answer; more is refused, not cut
MAX_SEED = 2**63 - 1


def _number(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequest(f"{name} must be a number")
    if value < low or value > high or (low_open and value == low):
        bound = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
        raise InvalidRequest(f"{name} must be in {bound}")
    return float(value)


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{name} must be an integer")
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}")
    return value


def apply_sampling(
    base: GenerationParams,
    *,
    max_tokens: Any = None,
    temperature: Any = None,
    top_p: Any = None,
    seed: Any = None,
    stop: Any = None,
) -> GenerationParams:
    """``base`` with the given fields (``None``: not set) validated and applied."""
    if stop:
        raise InvalidRequest(
            "stop sequences are not supported: they would reach the cloud without passing "
            "the privacy guard"
        )
    changes: dict[str, Any] = {}
    if max_tokens is not None:
        changes["max_tokens"] = _integer("max_tokens", max_tokens, 1, MAX_TOKENS)
    if temperature is not None:
        changes["temperature"] = _number("temperature", temperature, 0.0, 2.0)
    if top_p is not None:
        changes["top_p"] = _number("top_p", top_p, 0.0, 1.0, low_open=True)
    if seed is not None:
        changes["seed"] = _integer("seed", seed, 0, MAX_SEED)
    return dataclasses.replace(base, **changes)


def from_openai(body: Mapping[str, Any], base: GenerationParams) -> GenerationParams | None:
    """The sampling fields of a chat.completions body over ``base``; None when it sets none."""
    for name in ("presence_penalty", "frequency_penalty"):
        value = body.get(name)
        if value not in (None, 0, 0.0) or isinstance(value, bool):
            raise InvalidRequest(f"{name} is not supported (only 0)")
    if body.get("max_tokens") is not None and body.get("max_completion_tokens") is not None:
        raise InvalidRequest("give max_tokens or max_completion_tokens, not both")
    given = {
        "max_tokens": body.get("max_completion_tokens", body.get("max_tokens")),
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "seed": body.get("seed"),
        "stop": body.get("stop"),
    }
    if all(v is None for v in given.values()):
        return None
    return apply_sampling(base, **given)


def from_proto_fields(
    base: GenerationParams,
    *,
    max_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
    stop: list[str],
) -> GenerationParams:
    """``AskRequest.params`` over ``base``: a zero field is not set (proto3)."""
    return apply_sampling(
        base,
        max_tokens=max_tokens or None,
        temperature=temperature or None,
        top_p=top_p or None,
        seed=seed or None,
        stop=list(stop),
    )
