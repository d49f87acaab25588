"""End to end over HTTP: the official `openai` package against the real daemon and cloud."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import openai
import pytest

from privsplit.edge.audit.log import read_records
from tests.conftest import PERSON_SENT
from tests.edge.daemon.conftest import API_KEY, Daemon

pytestmark = pytest.mark.slow
MESSAGES = [{"role": "user", "content": "Write one short sentence greeting Maria Gonzalez."}]


@pytest.fixture
def client(daemon: Daemon) -> openai.OpenAI:
    return openai.OpenAI(base_url=daemon.http_base, api_key=API_KEY, max_retries=0, timeout=120)


def test_chat_completion(client: openai.OpenAI, daemon: Daemon) -> None:
    reply = client.chat.completions.create(model="privsplit", messages=MESSAGES)
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content.strip()
    assert reply.usage.completion_tokens > 0
    last = list(read_records(daemon.audit_dir / "egress.log"))[-1]
    assert last["request_id"] == reply.id.removeprefix("chatcmpl-")
    assert PERSON_SENT in last["outbound"][0] and "Maria" not in last["outbound"][0]


def test_chat_completion_streaming(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="privsplit",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_multi_turn_messages_and_conversation_header(client: openai.OpenAI, daemon: Daemon) -> None:
    from privsplit.client import Client

    with Client(socket_path=daemon.socket_path) as sdk:
        conv = sdk.create_conversation()
        reply = client.chat.completions.create(
            model="privsplit",
            extra_headers={"X-Privsplit-Conversation": conv.id},
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Who is Maria Gonzalez?"},
                {"role": "assistant", "content": "I do not know."},
                {"role": "user", "content": "Greet Maria Gonzalez."},
            ],
        )
        # the chat used this conversation's vault: Maria took [PERSON_1] there, John comes second
        assert sdk.redact("John Smith", conversation_id=conv.id).text == "[PERSON_2]"
        conv.delete()
    assert reply.choices[0].message.content
    sent = list(read_records(daemon.audit_dir / "egress.log"))[-1]["outbound"][0]
    assert PERSON_SENT in sent and "Maria" not in sent and "[PERSON_" not in sent


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["privsplit"]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"model": "gpt-4o", "messages": MESSAGES}, openai.NotFoundError),
        ({"model": "privsplit", "messages": []}, openai.BadRequestError),
        (
            {"model": "privsplit", "messages": [{"role": "assistant", "content": "hi"}]},
            openai.BadRequestError,
        ),
        (
            {"model": "privsplit", "messages": [{"role": "user", "content": "  "}]},
            openai.BadRequestError,
        ),
        ({"model": "privsplit", "messages": MESSAGES, "n": 2}, openai.BadRequestError),
        (
            {"model": "privsplit", "messages": MESSAGES, "extra_body": {"tools_x": 1}},
            openai.BadRequestError,
        ),
    ],
)
def test_bad_requests_are_clear_errors(client: openai.OpenAI, kwargs: dict, error: type) -> None:
    with pytest.raises(error) as info:
        client.chat.completions.create(**kwargs)
    assert info.value.body and info.value.body.get("message")


@pytest.mark.parametrize("stream", [False, True])
def test_privacy_block_is_422_and_sends_nothing(
    client: openai.OpenAI, daemon: Daemon, cloud_server, stream: bool
) -> None:
    from tests.edge.daemon.conftest import completions_done

    before = (
        completions_done(cloud_server),
        len(list(read_records(daemon.audit_dir / "egress.log"))),
    )
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client.chat.completions.create(
            model="privsplit",
            stream=stream,
            messages=[{"role": "user", "content": "Is the card 4111 1111 1111 1111 still valid?"}],
        )
    assert info.value.body["type"] == "privacy_blocked"
    assert "4111" not in json.dumps(info.value.body)
    after = completions_done(cloud_server), len(list(read_records(daemon.audit_dir / "egress.log")))
    assert after == before


def test_wrong_api_key_is_refused(daemon: Daemon) -> None:
    bad = openai.OpenAI(base_url=daemon.http_base, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="privsplit", messages=MESSAGES)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=10
        ) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_health_and_metrics(daemon: Daemon, client: openai.OpenAI) -> None:
    client.chat.completions.create(model="privsplit", messages=MESSAGES)
    base = f"http://127.0.0.1:{daemon.http_port}"
    status, body = _get(base + "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert _get(base + "/metrics")[0] == 401  # the metrics need the key too
    status, body = _get(base + "/metrics", {"Authorization": f"Bearer {API_KEY}"})
    assert status == 200
    assert (
        'privsplit_edge_requests_total{api="http",method="chat.completions",outcome="ok"}' in body
    )
    assert 'privsplit_edge_routes_total{route="cloud"}' in body
    assert "privsplit_edge_request_seconds_bucket" in body
    assert "Maria" not in body
