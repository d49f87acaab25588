"""Fuzzing the daemon's two APIs, the real process (in front of the scripted cloud, which echoes
fast): HTTP bodies of every shape get 200 or a 4xx in the OpenAI error shape, never a 500 and
never a hang; every protobuf request field, and bytes that are no protobuf, get an answer or
a typed refusal over the real gRPC socket, never INTERNAL; a private value in hostile text
never reaches the outbound text."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import grpc
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from privsplit.client import Client, PrivsplitError
from tests.edge.daemon.conftest import Daemon, start_daemon
from tests.faults.conftest import ScriptedCloud, start_scripted_cloud, stop
from tests.fuzz.conftest import fuzz, hostile_text

pytestmark = pytest.mark.slow
EMAIL = "maria.gonzalez@example.org"
FIELDS = ["model", "messages", "stream", "n", "stream_options", "role", "content", "type", "text"]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory) -> Iterator[ScriptedCloud]:
    cloud = start_scripted_cloud(tmp_path_factory.mktemp("cloud"))
    yield cloud
    cloud.server.stop()


@pytest.fixture(scope="module")
def daemon(cloud: ScriptedCloud, tmp_path_factory) -> Iterator[Daemon]:
    d = start_daemon(cloud.address, tmp_path_factory.mktemp("daemon"))
    yield d
    stop(d)


@pytest.fixture(scope="module")
def http(daemon: Daemon) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=daemon.http_base,
        headers={"Authorization": f"Bearer {daemon.api_key}"},
        timeout=30,
    ) as client:
        yield client


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "system", "assistant"]) | json_values,
            "content": hostile_text | json_values,
        }
    ),
    max_size=3,
)
chat_bodies = st.fixed_dictionaries(
    {"model": st.just("privsplit") | json_values, "messages": messages | json_values},
    optional={
        "stream": st.booleans() | json_values,
        "n": json_values,
        "stream_options": json_values,
    },
)


def _check_http(response: httpx.Response) -> None:
    assert response.status_code != 500 and response.status_code < 600, response.text[:300]
    if response.status_code >= 400:
        assert 400 <= response.status_code < 500 or response.status_code in (503, 504)
        error = response.json()["error"]
        assert {"message", "type", "code"} <= set(error)
        assert "Traceback" not in error["message"]


@fuzz(40)
@given(body=chat_bodies | json_values)
def test_http_bodies_never_500(http: httpx.Client, body) -> None:
    _check_http(http.post("/chat/completions", json=body))


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"model": "privsplit", "messages": [{"role": "user", "content": "\xff\xfe"}]}',
        b'{"model": "privsplit", "messages": [{"role": "user", "content": "'
        + b"x" * (5 << 20)
        + b'"}]}',
        b'{"model": "privsplit", "messages": [{"role": ["user"], "content": "hi"}]}',
        b'{"model": "privsplit", "messages": [{"role": {"a": 1}, "content": "hi"}]}',
        b'{"model": "privsplit", "messages": [{"role": "user", "content": NaN}], "n": Infinity}',
        b"\x00\x01\x02",
        b"",
    ],
    ids=["deep-list", "deep-object", "invalid-utf8", "5MiB-string", "role-list", "role-map"]
    + ["nan-infinity", "binary", "empty"],
)
def test_hostile_http_bodies(http: httpx.Client, raw: bytes) -> None:
    response = http.post(
        "/chat/completions", content=raw, headers={"Content-Type": "application/json"}
    )
    _check_http(response)
    assert response.status_code == 400


def test_a_content_length_that_is_not_a_number(daemon: Daemon) -> None:
    with socket.create_connection(("127.0.0.1", daemon.http_port), timeout=10) as s:
        s.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {daemon.api_key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 1e3\r\n"
            + b"Connection: close\r\n\r\n{}"
        )
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    assert 400 <= status < 500, reply[:300]


grpc_text = hostile_text | st.text(max_size=40)
conversation_ids = (
    st.just("") | st.text(max_size=40) | st.from_regex(r"[0-9a-f]{32}", fullmatch=True)
)


@fuzz(40)
@given(
    text=grpc_text,
    conversation_id=conversation_ids,
    documents=st.lists(grpc_text, max_size=2),
    method=st.sampled_from(["redact", "plan", "ask"]),
)
def test_grpc_request_fields(daemon: Daemon, text, conversation_id, documents, method) -> None:
    hostile = f"{text} {EMAIL} {text}"
    with Client(socket_path=daemon.socket_path, timeout=60) as client:
        try:
            if method == "redact":
                out = client.redact(hostile, conversation_id=conversation_id).text
            elif method == "plan":
                out = " ".join(
                    client.plan(
                        hostile, conversation_id=conversation_id, documents=documents
                    ).outbound
                )
            else:
                out = " ".join(client.ask(hostile, conversation_id=conversation_id).outbound)
        except PrivsplitError as exc:
            assert type(exc) is not PrivsplitError, exc.message  # a typed refusal, not INTERNAL
            return
    assert EMAIL not in out


@fuzz(40)
@given(raw=st.binary(max_size=300), method=st.sampled_from(["Redact", "Plan", "Ask"]))
def test_bytes_that_are_no_protobuf(daemon: Daemon, raw: bytes, method: str) -> None:
    with grpc.insecure_channel(f"unix:{daemon.socket_path}") as channel:
        call = channel.unary_unary(
            f"/privsplit.v1.EdgeAgent/{method}",
            request_serializer=None,
            response_deserializer=None,
        )
        try:
            call(raw, timeout=60)
        except grpc.RpcError as err:
            assert err.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (
                err.code(),
                err.details(),
            )


def test_the_daemon_survived(daemon: Daemon, http: httpx.Client) -> None:
    assert daemon.server.proc.poll() is None
    r = http.post(
        "/chat/completions",
        json={"model": "privsplit", "messages": [{"role": "user", "content": f"Mail {EMAIL}"}]},
    )
    assert r.status_code == 200 and EMAIL in r.json()["choices"][0]["message"]["content"]
    assert EMAIL not in daemon.log_text()
    assert "Traceback" not in daemon.log_text()
    json.loads(r.text)
