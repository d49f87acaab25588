"""The openai backend against a real OpenAI-compatible server (llama-cpp-python's own)."""

from __future__ import annotations

import pytest

from privsplit.cloud.backends import backend_class, create_backend
from privsplit.shared.errors import BackendError, ConfigError
from privsplit.shared.types import CompletionRequest, GenerationParams, Message
from tests.cloud.conftest import free_port

pytestmark = pytest.mark.slow


def _req(**params) -> CompletionRequest:
    return CompletionRequest(
        messages=(Message(role="user", content="Say hello."),),
        params=GenerationParams(**{"max_tokens": 3, **params}),
    )


async def test_streams_chunks_and_discovers_the_model(model_server) -> None:
    async with create_backend("openai", base_url=model_server.base_url) as backend:
        assert backend.default_model == "smol"  # asked the server's /models
        chunks = [c async for c in backend.complete(_req())]
    assert all(c.finish_reason is None for c in chunks[:-1])
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].usage.completion_tokens == len([c for c in chunks if c.text]) == 3


async def test_backend_error_status_is_typed_and_textless(model_server) -> None:
    async with create_backend("openai", base_url=model_server.base_url, model="smol") as backend:
        with pytest.raises(BackendError, match=r"HTTP 500"):  # llama_cpp.server fails on top_p=7
            [c async for c in backend.complete(_req(top_p=7.0))]
        assert backend.queue_depth == 0


async def test_unreachable_backend_without_a_model_name_stops_startup() -> None:
    backend = create_backend(
        "openai", base_url=f"http://127.0.0.1:{free_port()}/v1", connect_retries=0
    )
    with pytest.raises(ConfigError, match="set openai.model"):
        await backend.start()
    await backend.close()


def test_registry_lists_valid_names() -> None:
    assert backend_class("openai").name == "openai"
    with pytest.raises(ConfigError, match="valid backends: llamacpp, openai"):
        backend_class("tgi")
