"""Faults on the cloud side and in the privacy path, through the real daemon process.

The cloud is the scripted one (tests/faults/scripted_cloud.py, a real gRPC server in its own
process) because its faults cannot be had on demand from the real gateway; the detector and
guard faults come from the fault plugin on the daemon's PYTHONPATH. Each test states the
outcome: a typed error in bounded time, what reached the cloud (counted by the cloud's own
log), and no private value in the daemon's log.
"""

from __future__ import annotations

import time

import httpx
import pytest

from privsplit.client import (
    AuditLogError,
    Client,
    DeadlineExceeded,
    PrivacyBlocked,
    PrivsplitError,
)
from privsplit.edge.audit import verify_log
from privsplit.shared.errors import BackendError
from tests.edge.daemon.conftest import Daemon
from tests.faults.conftest import (
    EMAIL,
    NAME,
    PROMPT,
    ScriptedCloud,
    assert_no_private_text,
)

pytestmark = pytest.mark.slow


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_working_cloud_answers_and_restores(fault_daemon: Daemon, scripted_cloud) -> None:
    """The baseline the faults below depart from: the echo comes back restored."""
    scripted_cloud.play(kind="echo")
    before = scripted_cloud.received
    with Client(socket_path=fault_daemon.socket_path) as client:
        answer = client.ask(PROMPT)
    assert scripted_cloud.received == before + 1
    assert NAME in answer.text and EMAIL in answer.text  # restored on the device
    assert NAME not in answer.outbound[0] and EMAIL not in answer.outbound[0]


def test_cloud_slower_than_the_deadline(fault_daemon: Daemon, scripted_cloud) -> None:
    scripted_cloud.play(kind="sleep", seconds=60)
    cancelled = scripted_cloud.events("call_cancelled")
    with Client(socket_path=fault_daemon.socket_path) as client:
        for call in (client.ask, lambda t: list(client.stream(t))):
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded):
                call(PROMPT)
            assert time.monotonic() - started < 15  # the 3 s deadline, not the cloud's 60 s
    # the cloud saw the call go away: no orphaned work on either side
    assert _wait_for(lambda: scripted_cloud.events("call_cancelled") >= cancelled + 2)
    assert_no_private_text(fault_daemon.log_text())


@pytest.mark.parametrize(
    "plan",
    [
        {"kind": "empty"},
        {"kind": "truncated", "chunks": ["Hello [PERSON_1], here is the first half of"]},
        {"kind": "garbage"},
    ],
    ids=["empty-stream", "cut-without-final-chunk", "not-a-protobuf"],
)
def test_a_broken_cloud_answer_is_a_typed_error(
    fault_daemon: Daemon, scripted_cloud: ScriptedCloud, plan: dict
) -> None:
    scripted_cloud.play(**plan)
    with Client(socket_path=fault_daemon.socket_path) as client:
        with pytest.raises(BackendError, match="final chunk|could not be read"):
            client.ask(PROMPT)
        events = []
        with pytest.raises(BackendError):
            for event in client.stream(PROMPT):
                events.append(event)
    assert not [e for e in events if e.kind == "done"]  # never presented as a whole answer
    # HTTP: the OpenAI error shape with the gateway-style status
    r = httpx.post(
        f"{fault_daemon.http_base}/chat/completions",
        headers={"Authorization": f"Bearer {fault_daemon.api_key}"},
        json={"model": "privsplit", "messages": [{"role": "user", "content": PROMPT}]},
        timeout=30,
    )
    assert r.status_code == 503 and r.json()["error"]["code"] == "BackendError"
    assert_no_private_text(fault_daemon.log_text())


def test_placeholders_of_another_conversation_are_not_restored_here(
    fault_daemon: Daemon, scripted_cloud: ScriptedCloud
) -> None:
    scripted_cloud.play(kind="echo")
    with Client(socket_path=fault_daemon.socket_path) as client:
        a = client.create_conversation()
        b = client.create_conversation()
        try:
            # conversation A knows three people and an e-mail address
            a.ask(f"Introduce {NAME} to John Smith and Wei Zhang; cc {EMAIL}.")
            assert "[PERSON_3]" in a.redact(f"{NAME}, John Smith, Wei Zhang").text
            # conversation B knows one person; the cloud answers with A's placeholders, split
            # across chunks as a stream may split them
            scripted_cloud.play(
                kind="text",
                chunks=["Tell [PERS", "ON_1] that [PERSON_", "2] and [PERSON_3] wro", "te to "]
                + ["[EMAIL_ADDRESS_1]."],
            )
            answer = b.ask("Write to Olga Petrova.")
            streamed = "".join(e.text for e in b.stream("Write to Olga Petrova.") if e.text)
        finally:
            a.delete()
            b.delete()
    for text in (answer.text, streamed):
        assert text.startswith("Tell Olga Petrova that")  # B's own placeholder is B's value
        assert "[PERSON_2]" in text and "[PERSON_3]" in text and "[EMAIL_ADDRESS_1]" in text
        for value in (NAME, EMAIL, "John Smith", "Wei Zhang"):
            assert value not in text  # never A's values


@pytest.mark.parametrize("stage", ["detector", "guard"])
def test_a_privacy_stage_that_raises_blocks_the_request(
    fault_daemon: Daemon, scripted_cloud: ScriptedCloud, fault_dir, stage: str
) -> None:
    scripted_cloud.play(kind="echo")
    switch = fault_dir / stage
    before = scripted_cloud.received
    switch.touch()
    try:
        with Client(socket_path=fault_daemon.socket_path) as client:
            with pytest.raises(PrivacyBlocked, match="failed; nothing was sent"):
                client.ask(PROMPT)
            with pytest.raises(PrivacyBlocked):
                list(client.stream(PROMPT))
        r = httpx.post(
            f"{fault_daemon.http_base}/chat/completions",
            headers={"Authorization": f"Bearer {fault_daemon.api_key}"},
            json={"model": "privsplit", "messages": [{"role": "user", "content": PROMPT}]},
            timeout=30,
        )
        assert r.status_code == 422 and r.json()["error"]["type"] == "privacy_blocked"
    finally:
        switch.unlink()
    assert scripted_cloud.received == before  # nothing was sent
    log = fault_daemon.log_text()
    marker = {"detector": '"detector": "fault-detector"', "guard": '"event": "guard_failed"'}
    assert marker[stage] in log and '"error": "RuntimeError"' in log  # the type is logged ...
    assert "injected" not in log  # ... never the exception text
    assert_no_private_text(log)
    with Client(socket_path=fault_daemon.socket_path) as client:  # the fault gone, it serves
        assert NAME in client.ask(PROMPT).text
    assert scripted_cloud.received == before + 1


def test_a_corrupted_audit_head_stops_sending(
    fault_daemon: Daemon, scripted_cloud: ScriptedCloud
) -> None:
    scripted_cloud.play(kind="echo")
    with Client(socket_path=fault_daemon.socket_path) as client:
        client.ask(PROMPT)  # at least one record and a head
        head = fault_daemon.audit_dir / "egress.head"
        good = head.read_bytes()
        before = scripted_cloud.received
        for damage in (b"{not json" + good[9:], good.replace(b'"seq":', b'"seq":9', 1)):
            head.write_bytes(damage)
            with pytest.raises(AuditLogError, match="nothing was sent"):
                client.ask(PROMPT)
        assert scripted_cloud.received == before
        head.write_bytes(good)
        client.ask(PROMPT)
    assert scripted_cloud.received == before + 1
    report = verify_log(fault_daemon.audit_dir)
    assert report.ok, report.problems


def test_errors_never_carry_exception_text(fault_daemon: Daemon, scripted_cloud) -> None:
    """Whatever failed above, the client saw our messages, and the daemon still serves."""
    scripted_cloud.play(kind="garbage")
    with Client(socket_path=fault_daemon.socket_path) as client:
        with pytest.raises(PrivsplitError) as err:
            client.ask(PROMPT)
    assert "deserializ" not in err.value.message.lower()
    assert NAME not in err.value.message
