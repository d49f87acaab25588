"""End to end: the real cloud process (SmolLM2) and the real daemon process, driven by our SDK
over the Unix socket and loopback TCP (sync, async, streaming, approval, conversations)."""

from __future__ import annotations

import os
import stat

import pytest

from privsplit.client import (
    ApprovalRejected,
    AsyncClient,
    Client,
    InvalidRequest,
    NotFound,
    Unauthenticated,
)
from privsplit.edge.audit import verify_log
from privsplit.edge.audit.log import read_records
from tests.conftest import PERSON_SENT
from tests.edge.daemon.conftest import API_KEY, Daemon, completions_done

pytestmark = pytest.mark.slow
PROMPT = "Write one short sentence greeting Maria Gonzalez (maria.gonzalez@example.org)."
PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org")


def audit_records(daemon: Daemon) -> list[dict]:
    return list(read_records(daemon.audit_dir / "egress.log"))


def test_socket_is_private(daemon: Daemon) -> None:
    mode = os.stat(daemon.socket_path).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(os.stat(daemon.socket_path.parent).st_mode) == 0o700


def test_sync_ask_over_unix_socket_hides_and_restores(daemon: Daemon, cloud_server) -> None:
    before = len(audit_records(daemon))
    with Client(socket_path=daemon.socket_path) as client:
        answer = client.ask(PROMPT)
    assert answer.route == "cloud" and answer.text.strip()
    assert answer.cloud_usage.completion_tokens > 0
    sent = "\n".join(answer.outbound)
    assert PERSON_SENT in sent and "[EMAIL_ADDRESS_1]" in sent
    assert not any(value in sent for value in PRIVATE)
    records = audit_records(daemon)
    assert len(records) == before + 1
    assert tuple(records[-1]["outbound"]) == answer.outbound  # logged exactly what was sent
    assert records[-1]["request_id"] == answer.request_id
    assert records[-1]["destination"] == cloud_server.address
    assert records[-1]["decisions"]["approval"] == "not_required"
    assert verify_log(daemon.audit_dir).ok
    # neither the daemon's log nor the cloud's carries the private values
    logs = daemon.log_text() + "\n".join(cloud_server.log_lines())
    assert not any(value in logs for value in PRIVATE)


def test_sync_stream_events_in_order(daemon: Daemon) -> None:
    with Client(socket_path=daemon.socket_path) as client:
        events = list(client.stream(PROMPT))
    kinds = [e.kind for e in events]
    assert kinds[-1] == "done" and "outbound" in kinds
    assert kinds.index("outbound") < kinds.index("done")
    outbound = next(e for e in events if e.kind == "outbound").outbound
    assert PERSON_SENT in outbound[0]
    deltas = "".join(e.text for e in events if e.kind == "delta")
    assert deltas == events[-1].answer.text and deltas.strip()


def test_redact_and_plan_send_nothing(daemon: Daemon, cloud_server) -> None:
    before_cloud, before_audit = completions_done(cloud_server), len(audit_records(daemon))
    with Client(socket_path=daemon.socket_path) as client:
        redacted = client.redact(PROMPT)
        plan = client.plan(PROMPT)
    assert {s.entity_type for s in redacted.spans} >= {"PERSON", "EMAIL_ADDRESS"}
    for span in redacted.spans:  # offsets are into the input, in code points
        assert PROMPT[span.start : span.end] in PRIVATE
    assert "Maria Gonzalez" not in redacted.text
    assert plan.route == "cloud" and PERSON_SENT in plan.outbound[0]
    assert completions_done(cloud_server) == before_cloud
    assert len(audit_records(daemon)) == before_audit


def test_conversation_keeps_one_vault_across_turns(daemon: Daemon) -> None:
    with Client(socket_path=daemon.socket_path) as client:
        with client.create_conversation() as conv:
            first = conv.redact("Call Maria Gonzalez tomorrow.")
            second = conv.redact("Tell John Smith that Maria Gonzalez called.")
            answer = conv.ask("Write one sentence to Maria Gonzalez.")
            assert "[PERSON_1]" in first.text
            assert second.text.endswith(" that [PERSON_1] called.")  # still the same person
            assert "[PERSON_2]" in second.text and "Smith" not in second.text
            assert PERSON_SENT in answer.outbound[0]
            assert audit_records(daemon)[-1]["conversation_id"] == conv.id
        with pytest.raises(NotFound):  # deleted on leaving the block
            client.redact("Maria Gonzalez", conversation_id=conv.id)
        # a one-off request has its own vault
        one_off = client.redact("Please ask John Smith.").text
        assert "[PERSON_1]" in one_off and "[PERSON_2]" not in one_off


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"text": "   "}, InvalidRequest),
        ({"text": "hi", "conversation_id": "not-an-id"}, InvalidRequest),
        ({"text": "hi", "conversation_id": "0" * 32}, NotFound),
    ],
)
def test_bad_requests_get_typed_errors(daemon: Daemon, kwargs: dict, error: type) -> None:
    with Client(socket_path=daemon.socket_path) as client:
        with pytest.raises(error):
            client.plan(**kwargs)


def test_tcp_needs_the_api_key(daemon: Daemon) -> None:
    with Client(address=daemon.tcp_address, api_key=API_KEY) as client:
        assert client.redact("Call Maria Gonzalez.").text == "Call [PERSON_1]."
    with Client(address=daemon.tcp_address, api_key="wrong") as client:
        with pytest.raises(Unauthenticated):
            client.redact("Call Maria Gonzalez.")


async def test_async_ask_stream_and_conversation(daemon: Daemon) -> None:
    async with AsyncClient(socket_path=daemon.socket_path) as client:
        answer = await client.ask(PROMPT)
        assert answer.route == "cloud" and PERSON_SENT in answer.outbound[0]
        events = [e async for e in client.stream(PROMPT)]
        assert events[-1].kind == "done"
        assert "".join(e.text for e in events if e.kind == "delta") == events[-1].answer.text
        async with await client.create_conversation(ttl_seconds=60) as conv:
            await conv.redact("Maria Gonzalez")
            again = (await conv.redact("Please ask John Smith and Maria Gonzalez.")).text
            assert again.endswith(" and [PERSON_1].") and "[PERSON_2]" in again


async def test_approval_shows_outbound_then_sends(daemon: Daemon, cloud_server) -> None:
    seen: list[tuple[str, ...]] = []

    async def approve(outbound: tuple[str, ...]) -> bool:
        seen.append(outbound)
        return True

    before = completions_done(cloud_server)
    async with AsyncClient(socket_path=daemon.socket_path) as client:
        answer = await client.ask(PROMPT, approve=approve)
    assert seen == [answer.outbound]
    assert completions_done(cloud_server) == before + 1
    assert audit_records(daemon)[-1]["decisions"].get("approval") == "approved"


def test_rejected_approval_sends_nothing(daemon: Daemon, cloud_server) -> None:
    before_cloud, before_audit = completions_done(cloud_server), len(audit_records(daemon))
    with Client(socket_path=daemon.socket_path) as client:
        with pytest.raises(ApprovalRejected):
            client.ask(PROMPT, approve=lambda outbound: False)
    assert completions_done(cloud_server) == before_cloud
    assert len(audit_records(daemon)) == before_audit


def test_approve_unknown_request_is_not_found(daemon: Daemon) -> None:
    with Client(socket_path=daemon.socket_path) as client:
        with pytest.raises(NotFound):
            client.approve("f" * 32, True)
