"""No stray egress: ``privsplit ask`` and the daemon, from their first model load and detector
init to their answers, connect to the configured cloud and nothing else.

Two recorders watch each process: a Python audit hook (tests/faults/egress_hook, on the
PYTHONPATH) logs every connection and name lookup made from Python (HTTP clients, model hubs,
tldextract's suffix list), and strace logs every ``connect`` system call, so connections that
native code opens (gRPC core, llama.cpp) are seen too. Allowed: the cloud's address, Unix
sockets, and the kernel's own families (netlink, AF_UNSPEC resets).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from privsplit.client import Client
from tests.conftest import REPO
from tests.edge.daemon.conftest import start_daemon
from tests.faults.conftest import EMAIL, NAME, PROMPT, ScriptedCloud

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed"),
]
HOOK = Path(__file__).resolve().parent / "egress_hook"
_FAMILY = re.compile(r"connect\(\d+, \{sa_family=(\w+)(.*?)\}, \d+\)")
_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_ADDR = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def _env(log: Path, model: Path) -> dict[str, str]:
    return {
        "PYTHONPATH": os.pathsep.join(p for p in (str(HOOK), os.environ.get("PYTHONPATH")) if p),
        "PRIVSPLIT_EGRESS_LOG": str(log),
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "split",
        "PRIVSPLIT_EDGE_EDGE_MODEL": str(model),
        "PRIVSPLIT_EDGE_MAX_TOKENS": "16",
    }


def _strace(out: Path) -> list[str]:
    return ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect", "-o", str(out)]


def inet_targets(trace: Path) -> tuple[set[tuple[str, int]], set[str]]:
    """(IP connections as (address, port), other address families) from an strace log."""
    inet, other = set(), set()
    for line in trace.read_text().splitlines():
        m = _FAMILY.search(line)
        if m is None:
            continue
        family, rest = m.groups()
        if family in ("AF_INET", "AF_INET6"):
            addr = _ADDR.search(rest)
            port = _PORT.search(rest)
            host = next(g for g in addr.groups() if g).removeprefix("::ffff:")  # v4-mapped
            inet.add((host, int(port.group(1))))
        else:
            other.add(family)
    return inet, other


def hook_targets(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def assert_only_the_cloud(trace: Path, log: Path, cloud: tuple[str, int]) -> None:
    inet, other = inet_targets(trace)
    assert inet == {cloud}, f"connections besides the cloud: {inet - {cloud}}"
    assert other <= {"AF_UNIX", "AF_UNSPEC", "AF_NETLINK"}, other
    for record in hook_targets(log):
        target = record["target"]
        if record["event"] == "socket.bind":
            continue
        if record["event"] == "socket.connect" and isinstance(target, str):
            continue  # a Unix socket (the daemon's own, probed at start)
        host = target[0] if isinstance(target, list) else target
        assert host in ("127.0.0.1", "localhost", "::1"), record  # no name lookups elsewhere


def test_ask_reaches_only_the_cloud(
    scripted_cloud: ScriptedCloud, test_model_path, tmp_path
) -> None:
    scripted_cloud.play(kind="echo")
    trace, log = tmp_path / "strace.log", tmp_path / "egress.jsonl"
    before = scripted_cloud.received
    done = subprocess.run(
        [*_strace(trace), sys.executable, "-m", "privsplit.cli.main", "ask"]
        + ["--cloud", scripted_cloud.address, "--insecure", PROMPT],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, **_env(log, test_model_path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert scripted_cloud.received == before + 1  # the one configured destination was used
    assert NAME in done.stdout or EMAIL in done.stdout
    assert_only_the_cloud(trace, log, ("127.0.0.1", scripted_cloud.server.port))


def test_daemon_reaches_only_the_cloud(
    scripted_cloud: ScriptedCloud, test_model_path, tmp_path
) -> None:
    scripted_cloud.play(kind="echo")
    trace, log = tmp_path / "strace.log", tmp_path / "egress.jsonl"
    daemon = start_daemon(
        scripted_cloud.address,
        tmp_path,
        prefix=_strace(trace),
        env=_env(log, test_model_path),
    )
    traced = daemon.server.proc.pid  # strace; the daemon is its child
    try:
        before = scripted_cloud.received
        with Client(socket_path=daemon.socket_path, timeout=300) as client:
            assert NAME in client.ask(PROMPT).text  # the first request loads the edge model
        r = httpx.post(
            f"{daemon.http_base}/chat/completions",
            headers={"Authorization": f"Bearer {daemon.api_key}"},
            json={"model": "privsplit", "messages": [{"role": "user", "content": PROMPT}]},
            timeout=300,
        )
        assert r.status_code == 200, r.text
        assert scripted_cloud.received == before + 2
    finally:
        children = Path(f"/proc/{traced}/task/{traced}/children")
        for pid in children.read_text().split() if children.exists() else ():
            os.kill(int(pid), signal.SIGTERM)  # the daemon shuts down; strace follows
        daemon.server.proc.wait(60)
        shutil.rmtree(daemon.socket_path.parent, ignore_errors=True)
    assert_only_the_cloud(trace, log, ("127.0.0.1", scripted_cloud.server.port))
    assert any(r["event"] == "socket.bind" for r in hook_targets(log))  # the hook was live
