"""Per-request sampling: applied to what the cloud is asked, or refused with a clear error;
never accepted and ignored. The end-to-end part runs a real cloud process (SmolLM2)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from privsplit.edge.daemon.service import _options
from privsplit.edge.egress import UNAUDITED
from privsplit.edge.pipeline.sampling import MAX_TOKENS, apply_sampling, from_openai
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import InvalidRequest
from privsplit.shared.proto import edge
from privsplit.shared.types import GenerationParams

BASE = GenerationParams(max_tokens=256, temperature=0.0, seed=42)


def test_openai_fields_apply_over_the_daemon_params() -> None:
    body = {"max_tokens": 12, "temperature": 0.7, "top_p": 0.9, "seed": 7}
    assert from_openai(body, BASE) == GenerationParams(
        max_tokens=12, temperature=0.7, top_p=0.9, seed=7
    )
    assert from_openai({"max_completion_tokens": 5}, BASE).max_tokens == 5
    assert from_openai({"messages": []}, BASE) is None  # nothing set: the daemon's own
    assert from_openai({"presence_penalty": 0, "frequency_penalty": 0.0}, BASE) is None


@pytest.mark.parametrize(
    "body,message",
    [
        ({"temperature": 2.5}, r"temperature must be in \[0.0, 2.0\]"),
        ({"temperature": "hot"}, "temperature must be a number"),
        ({"top_p": 0}, r"top_p must be in \(0.0, 1.0\]"),
        ({"max_tokens": 0}, f"max_tokens must be between 1 and {MAX_TOKENS}"),
        ({"max_tokens": MAX_TOKENS + 1}, "max_tokens must be between"),
        ({"max_tokens": 1.5}, "max_tokens must be an integer"),
        ({"max_tokens": True}, "max_tokens must be an integer"),
        ({"seed": -1}, "seed must be between"),
        ({"stop": ["\n"]}, "stop sequences are not supported"),
        ({"stop": "Maria"}, "would reach the cloud without passing the privacy guard"),
        ({"presence_penalty": 0.5}, "presence_penalty is not supported"),
        ({"frequency_penalty": 1}, "frequency_penalty is not supported"),
        ({"max_tokens": 4, "max_completion_tokens": 4}, "not both"),
    ],
)
def test_values_that_cannot_be_applied_are_refused(body: dict, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        from_openai(body, BASE)


def test_ask_request_params_on_grpc_zero_means_not_set() -> None:
    context = SimpleNamespace(invocation_metadata=lambda: ())
    plain = edge.AskRequest(text="hi")
    assert _options(plain, context, BASE).params is None  # no params field: the daemon's
    request = edge.AskRequest(text="hi")
    request.params.max_tokens = 9
    request.params.top_p = 0.5
    params = _options(request, context, BASE).params
    assert (params.max_tokens, params.top_p, params.temperature, params.seed) == (9, 0.5, 0.0, 42)
    request.params.stop.append("x")
    with pytest.raises(InvalidRequest, match="stop sequences"):
        _options(request, context, BASE)
    assert apply_sampling(BASE) == BASE


def test_the_cloud_answers_with_the_requests_max_tokens(cloud_server, tmp_path) -> None:
    settings = EdgeSettings.load(
        cloud_address=cloud_server.address,
        cloud_insecure=True,
        max_tokens=64,
        pipeline={"mode": "redact"},
    )
    pipeline = build_pipeline(settings, audit=UNAUDITED)
    question = "Write a long story about a lighthouse keeper and the sea."

    async def both():
        try:
            short = await pipeline.ask(
                question, params=apply_sampling(pipeline.params, max_tokens=3)
            )
            default = await pipeline.ask(question)
        finally:
            await pipeline.aclose()
        return short, default

    short, default = asyncio.run(both())
    assert 0 < short.cloud_usage.completion_tokens <= 3
    assert default.cloud_usage.completion_tokens > 3
