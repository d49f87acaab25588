"""One audited egress path: `privsplit ask` (single, batch, --raw, --approve) and `privsplit
demo` send only through the pipeline's egress gate, like the daemon. The audit record is
written before the cloud sees anything; an unusable log or a "no" sends nothing.

Real parts: the CLI in a subprocess, the cloud gateway process with SmolLM2 on loopback (its
JSON log says what it received), SmolLM2 as the edge model, a terminal (pty) for --approve.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from privsplit.edge.audit import AuditLog, verify_log
from privsplit.edge.audit.log import read_records
from privsplit.edge.cloud_client import CloudClient
from privsplit.edge.egress import UNAUDITED, EgressGate, Envelope, OutboundBatch
from privsplit.edge.pipeline import Pipeline
from privsplit.edge.pipeline.delegate import Delegator
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.provider import build_pipeline, build_redactor
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ConfigError, PrivsplitError
from privsplit.shared.types import GenerationParams
from tests.conftest import PERSON_SENT, REPO, ServerProcess

pytestmark = pytest.mark.slow

PROMPT = "Say hello to Maria Gonzalez (maria.gonzalez@example.org) in one short sentence."
PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org")


def cloud_calls(cloud: ServerProcess, *, expect: int | None = None) -> int:
    """Complete calls the cloud process received, whatever their outcome (its JSON log);
    with ``expect``, wait up to 10 s for the log to reach that count (it is written after the
    reply), else give its lines half a second to arrive."""
    deadline = time.monotonic() + (10 if expect is not None else 0.5)
    while True:
        count = 0
        for line in cloud.log_lines():
            if line.startswith("{"):
                record = json.loads(line)
                count += record.get("event") == "rpc_done" and record.get("method") == "Complete"
        if count == expect or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def records(audit_dir: Path) -> list[dict]:
    return list(read_records(audit_dir / "egress.log"))


def cli(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*kwargs.pop("prefix", []), sys.executable, "-m", "privsplit.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
        cwd=REPO,
        **kwargs,
    )


@pytest.fixture
def env(tmp_path: Path, test_model_path: Path) -> dict[str, str]:
    """The CLI's settings: this test's audit dir, SmolLM2 at the edge, a fast redact path."""
    return {
        "PRIVSPLIT_EDGE_DAEMON__AUDIT_DIR": str(tmp_path / "audit"),
        "PRIVSPLIT_EDGE_EDGE_MODEL": str(test_model_path),
        "PRIVSPLIT_EDGE_MAX_TOKENS": "12",
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
        "COLUMNS": "400",  # rich wraps at the width: long paths stay on one line
    }


def ask(cloud: ServerProcess, *args: str) -> list[str]:
    return ["ask", "--insecure", "--cloud", cloud.address, *args]


def test_ask_in_split_mode_leaves_a_verifiable_record_of_the_sanitized_text(
    cloud_server, env, tmp_path
) -> None:
    audit_dir = tmp_path / "audit"
    before = cloud_calls(cloud_server)
    # the default mode, with the edge model loaded; SmolLM2 is too weak to list hidden details
    env = {
        **env,
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "split",
        "PRIVSPLIT_EDGE_PIPELINE__HIDE_WITH_MODEL": "false",
    }
    proc = cli(*ask(cloud_server, "--show-outbound", PROMPT), env=env)
    assert proc.returncode == 0, proc.stderr
    (record,) = records(audit_dir)
    n = len(record["outbound"])
    assert cloud_calls(cloud_server, expect=before + n) == before + n
    sent = "\n".join(record["outbound"])
    assert PERSON_SENT in sent and "[EMAIL_ADDRESS_1]" in sent  # the name as its stand-in
    for value in PRIVATE:
        assert value not in sent  # the record holds what left, not the private value
    for query in record["outbound"]:
        assert query in proc.stderr  # exactly what --show-outbound says was sent
    assert record["destination"] == cloud_server.address
    assert record["decisions"]["route"] == "cloud"
    assert record["decisions"]["protection"] == "guarded"
    assert record["decisions"]["approval"] == "not_required"
    assert record["decisions"]["PERSON"] == "pseudonymize"
    checked = cli("audit", "verify", "--dir", str(audit_dir), env={})
    assert checked.returncode == 0 and checked.stdout.startswith("OK: 1 records"), checked.stdout
    assert str(audit_dir) in proc.stderr  # --show-outbound says where it is recorded


def test_batch_ask_records_every_request(cloud_server, env, tmp_path) -> None:
    requests, answers = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    requests.write_text(
        json.dumps({"id": "q1", "text": PROMPT})
        + "\n"
        + json.dumps({"id": "q2", "text": "Thank John Smith for the flowers, in one line."})
        + "\n"
    )
    before = cloud_calls(cloud_server)
    proc = cli(*ask(cloud_server, "--input", str(requests), "--output", str(answers)), env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in answers.read_text().splitlines()]
    logged = records(tmp_path / "audit")
    assert [r["outbound"] for r in logged] == [line["outbound"] for line in lines]
    assert len({r["request_id"] for r in logged}) == 2
    assert cloud_calls(cloud_server, expect=before + 2) == before + 2
    assert "Maria Gonzalez" not in json.dumps(logged) and "John Smith" not in json.dumps(logged)
    assert verify_log(tmp_path / "audit").ok


def test_raw_send_is_recorded_and_shown_as_unprotected(cloud_server, env, tmp_path) -> None:
    audit_dir = tmp_path / "audit"
    proc = cli(*ask(cloud_server, "--raw", PROMPT), env=env)
    assert proc.returncode == 0, proc.stderr
    (record,) = records(audit_dir)
    assert record["outbound"] == [PROMPT]  # the raw baseline sends the text as is
    assert record["decisions"]["route"] == "raw"
    assert record["decisions"]["protection"] == "none"
    shown = cli("audit", "show", "--dir", str(audit_dir), env={})
    assert shown.returncode == 0, shown.stderr
    assert "UNPROTECTED" in shown.stdout and PROMPT[:40] in shown.stdout
    assert verify_log(audit_dir).ok


def _unprivileged() -> list[str]:
    """As root, mode bits do not bind: drop the override capabilities for the CLI."""
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


@pytest.mark.parametrize("mode", ["single", "batch", "raw"])
def test_unwritable_audit_dir_fails_clearly_and_sends_nothing(
    cloud_server, env, tmp_path, mode: str
) -> None:
    audit_dir = tmp_path / "audit"
    AuditLog(directory=audit_dir).open()  # key created; then the directory is made read-only
    for child in audit_dir.iterdir():
        child.chmod(0o400)
    audit_dir.chmod(0o500)
    requests = tmp_path / "in.jsonl"
    requests.write_text(json.dumps({"id": "q1", "text": PROMPT}) + "\n")
    args = {
        "single": [PROMPT],
        "batch": ["--input", str(requests), "--output", str(tmp_path / "out.jsonl")],
        "raw": ["--raw", PROMPT],
    }[mode]
    before = cloud_calls(cloud_server)
    try:
        proc = cli(*ask(cloud_server, *args), env=env, prefix=_unprivileged())
    finally:
        audit_dir.chmod(0o700)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error:" in proc.stderr and "audit log" in proc.stderr
    assert "nothing was sent" in proc.stderr and "Traceback" not in proc.stderr
    assert cloud_calls(cloud_server) == before  # the cloud received nothing
    assert not (audit_dir / "egress.log").exists()


def test_audit_dir_that_cannot_be_created_stops_ask_before_any_work(
    cloud_server, env, tmp_path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    before = cloud_calls(cloud_server)
    proc = cli(
        *ask(cloud_server, PROMPT),
        env={**env, "PRIVSPLIT_EDGE_DAEMON__AUDIT_DIR": str(blocker / "audit")},
    )
    assert proc.returncode == 2 and "audit log directory" in proc.stderr, proc.stderr
    assert "nothing can be sent" in proc.stderr and "Traceback" not in proc.stderr
    assert cloud_calls(cloud_server) == before


def _ask_on_a_terminal(args: list[str], reply: str, env: dict[str, str]):
    """Run the CLI with a pty as its stdin (a terminal) and type ``reply``."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "privsplit.cli.main", *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
            cwd=REPO,
        )
        os.write(master, reply.encode())  # typed ahead; read when the prompt asks
        out, err = proc.communicate(timeout=600)
    finally:
        os.close(master)
        os.close(slave)
    return proc.returncode, out, err


@pytest.mark.parametrize("reply, sent", [("n\n", False), ("y\n", True)])
def test_ask_approve_shows_the_outbound_text_and_a_no_sends_nothing(
    cloud_server, env, tmp_path, reply: str, sent: bool
) -> None:
    before = cloud_calls(cloud_server)
    code, out, err = _ask_on_a_terminal(ask(cloud_server, "--approve", PROMPT), reply, env)
    assert "Send it?" in err and PERSON_SENT in err  # shown before anything is sent
    assert "Maria Gonzalez" not in err
    logged = records(tmp_path / "audit")
    if sent:
        assert code == 0, err
        assert out.strip()
        assert cloud_calls(cloud_server, expect=before + 1) == before + 1
        (record,) = logged
        assert record["decisions"]["approval"] == "approved"
    else:
        assert code == 2 and "rejected" in err and "nothing was sent" in err
        assert cloud_calls(cloud_server) == before
        assert logged == []  # approval comes before the record; a "no" leaves neither


def test_ask_approve_without_a_terminal_refuses_and_sends_nothing(
    cloud_server, env, tmp_path
) -> None:
    before = cloud_calls(cloud_server)
    proc = cli(*ask(cloud_server, "--approve", PROMPT), env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "not a terminal" in proc.stderr and "nothing was sent" in proc.stderr
    assert cloud_calls(cloud_server) == before
    assert records(tmp_path / "audit") == []


def test_demo_records_what_it_sends(env, tmp_path, test_model_path) -> None:
    """The demo with SmolLM2 as both models (its own loopback cloud), first example only."""
    demo_env = {k: v for k, v in env.items() if k != "PRIVSPLIT_EDGE_PIPELINE__MODE"}
    demo_env["PRIVSPLIT_EDGE_PIPELINE__HIDE_WITH_MODEL"] = "false"  # too hard for SmolLM2
    model = str(test_model_path)
    proc = cli(
        "demo", "--edge-model", model, "--cloud-model", model, "--max-tokens", "12",
        "--no-record", env=demo_env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    logged = records(tmp_path / "audit")
    assert len(logged) == 1 and logged[0]["decisions"]["protection"] == "guarded"
    for value in ("Maria Gonzalez", "maria.gonzalez@example.org", "415-555-0134"):
        assert value not in json.dumps(logged)
    assert verify_log(tmp_path / "audit").ok
    assert str(tmp_path / "audit") in proc.stderr


# -- the gate itself: no pipeline that can send is built without an audit hook by accident ---


def test_a_pipeline_with_a_cloud_needs_an_audit_hook() -> None:
    settings = EdgeSettings.load(pipeline={"mode": "redact"})
    cloud = CloudClient(address="127.0.0.1:9", insecure=True)
    parts = dict(redactor=build_redactor(settings), guard=EgressGuard(detectors=[]), cloud=cloud)
    with pytest.raises(ConfigError, match="audit hook"):
        Pipeline(**parts)
    assert not Pipeline(**parts, audit=UNAUDITED).gate.audited  # only when asked for
    offline = build_pipeline(settings, offline=True)  # a dry run builds no gate and no log
    assert offline.gate is None


def test_build_pipeline_is_audited_by_default(tmp_path) -> None:
    settings = EdgeSettings.load(
        cloud_address="127.0.0.1:9",
        cloud_insecure=True,
        pipeline={"mode": "redact"},
        daemon={"audit_dir": tmp_path / "audit"},
    )
    pipeline = build_pipeline(settings)
    assert pipeline.gate is not None and pipeline.gate.audited
    assert (tmp_path / "audit" / "signing.key").exists()  # opened at build, before any work


async def test_the_delegator_sends_only_what_its_own_gate_released(tmp_path) -> None:
    audit = AuditLog(directory=tmp_path / "audit").open()
    gate, other = EgressGate(audit=audit.hook), EgressGate(audit=UNAUDITED)
    delegator = Delegator(
        cloud=CloudClient(address="127.0.0.1:9", insecure=True),
        gate=gate,
        params=GenerationParams(max_tokens=4),
    )
    release = await delegator.release(["hello [PERSON_1]"], Envelope("r1"), {"route": "cloud"})
    assert [r["outbound"] for r in records(tmp_path / "audit")] == [["hello [PERSON_1]"]]
    with pytest.raises(PrivsplitError, match="did not pass the egress hooks"):
        delegator.request(release, "hello Maria Gonzalez")  # not in the release
    foreign = await other.release(OutboundBatch("r2", "", "x", ("hello Maria Gonzalez",)))
    with pytest.raises(PrivsplitError, match="did not pass the egress hooks"):
        delegator.request(foreign, "hello Maria Gonzalez")  # released by another gate
    with pytest.raises(PrivsplitError, match="did not pass the egress hooks"):
        await delegator.all(release, ["hello [PERSON_1]", "hello Maria Gonzalez"])
    assert delegator.request(release, "hello [PERSON_1]").messages
