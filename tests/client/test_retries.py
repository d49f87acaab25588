"""The SDK's transport behaviour: UNAVAILABLE alone is retried (with backoff, within the deadline),
typed errors come back as the same class. The server here is a minimal gRPC EdgeAgent on a
real Unix socket whose answers the test scripts; the part under test is the client."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from privsplit.client import (
    AsyncClient,
    Client,
    DeadlineExceeded,
    InvalidRequest,
    RetryPolicy,
    Unavailable,
)
from privsplit.shared.errors import ERROR_METADATA_KEY, CloudUnavailable
from privsplit.shared.proto import EdgeAgentServicer, add_EdgeAgentServicer_to_server, edge


class Scripted(EdgeAgentServicer):
    """Redact answers from ``script``: a status code to abort with (and whether it is a typed
    error), a delay, or a reply."""

    def __init__(self) -> None:
        self.script: list[tuple[str, object]] = []
        self.calls = 0
        self.lock = threading.Lock()

    def Redact(
        self, request: edge.RedactRequest, context: grpc.ServicerContext
    ) -> edge.RedactResponse:
        with self.lock:
            self.calls += 1
            kind, arg = self.script.pop(0) if self.script else ("ok", None)
        if kind == "transport":
            context.abort(grpc.StatusCode.UNAVAILABLE, "try later")
        if kind == "typed":
            context.set_trailing_metadata(((ERROR_METADATA_KEY, arg.__name__),))
            context.abort(arg.code, "typed error")
        if kind == "sleep":
            time.sleep(arg)
        return edge.RedactResponse(redacted_text=f"redacted:{request.text}")

    def StreamAsk(self, request: edge.StreamAskRequest, context: grpc.ServicerContext):
        with self.lock:
            self.calls += 1
            kind, _ = self.script.pop(0) if self.script else ("ok", None)
        if kind == "transport":
            context.abort(grpc.StatusCode.UNAVAILABLE, "try later")
        yield edge.StreamAskResponse(stage="redact")
        if kind == "break_after_first":
            context.abort(grpc.StatusCode.UNAVAILABLE, "gone mid-stream")
        yield edge.StreamAskResponse(done=edge.AskResponse(answer="done", request_id="r"))


@pytest.fixture
def scripted() -> Iterator[tuple[Scripted, Path]]:
    servicer = Scripted()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_EdgeAgentServicer_to_server(servicer, server)
    sock = Path(tempfile.mkdtemp(prefix="psc", dir="/tmp")) / "edge.sock"
    server.add_insecure_port(f"unix:{sock}")
    server.start()
    yield servicer, sock
    server.stop(0)


FAST = RetryPolicy(attempts=4, initial_backoff=0.05, max_backoff=0.2)


def test_unavailable_is_retried_until_it_works(scripted) -> None:
    servicer, sock = scripted
    servicer.script = [("transport", None), ("transport", None)]
    with Client(socket_path=sock, retry=FAST) as client:
        assert client.redact("hi").text == "redacted:hi"
    assert servicer.calls == 3


@pytest.mark.parametrize("error", [InvalidRequest, CloudUnavailable])
def test_typed_errors_are_not_retried(scripted, error: type) -> None:
    servicer, sock = scripted
    servicer.script = [("typed", error)]
    with Client(socket_path=sock, retry=FAST) as client:
        with pytest.raises(error):
            client.redact("hi")
    assert servicer.calls == 1


def test_retries_give_up_with_unavailable(scripted) -> None:
    servicer, sock = scripted
    servicer.script = [("transport", None)] * 10
    with Client(socket_path=sock, retry=FAST) as client:
        with pytest.raises(Unavailable, match="not reachable"):
            client.redact("hi")
    assert servicer.calls == FAST.attempts


def test_no_daemon_backs_off_then_fails_clearly(tmp_path: Path) -> None:
    policy = RetryPolicy(attempts=3, initial_backoff=0.2, max_backoff=1.0)
    started = time.monotonic()
    with Client(socket_path=tmp_path / "none.sock", retry=policy) as client:
        with pytest.raises(Unavailable, match="none.sock"):
            client.redact("hi")
    assert time.monotonic() - started >= 0.2 * 0.5 + 0.4 * 0.5  # the jittered backoff was slept


def test_deadline_is_enforced(scripted) -> None:
    servicer, sock = scripted
    servicer.script = [("sleep", 1.5)]
    started = time.monotonic()
    with Client(socket_path=sock, retry=FAST) as client:
        with pytest.raises(DeadlineExceeded):
            client.redact("hi", timeout=0.3)
    assert time.monotonic() - started < 1.2


def test_address_and_socket_together_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        Client(address="127.0.0.1:1", socket_path="/tmp/x.sock")


async def test_async_client_retries_and_maps(scripted) -> None:
    servicer, sock = scripted
    servicer.script = [("transport", None), ("ok", None), ("typed", InvalidRequest)]
    async with AsyncClient(socket_path=sock, retry=FAST) as client:
        assert (await client.redact("a")).text == "redacted:a"
        with pytest.raises(InvalidRequest):
            await client.redact("b")
    assert servicer.calls == 3


def test_stream_is_retried_only_before_its_first_event(scripted) -> None:
    servicer, sock = scripted
    servicer.script = [("transport", None)]
    with Client(socket_path=sock, retry=FAST) as client:
        events = list(client.stream("hi"))
        assert [e.kind for e in events] == ["stage", "done"] and servicer.calls == 2
        servicer.script = [("break_after_first", None)]
        with pytest.raises(Unavailable):  # an event was seen: not replayed
            list(client.stream("hi"))
    assert servicer.calls == 3
