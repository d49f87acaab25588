"""Two hosts and a real network boundary, made here with network namespaces: the cloud gateway
(mutual TLS, a tenant token, SmolLM2) in one, the edge daemon (redact mode) in the other,
joined by a veth pair with documentation addresses (192.0.2.1 and 192.0.2.2, this test's own
hosts: nothing else is ever addressed). The app talks to the daemon through its Unix socket
(a file, so it crosses namespaces). A raw AF_PACKET capture on the edge's end of the link
(tests/deploy/wire.py) shows what really crossed it.

Checked: the handshake is TLS 1.3 and every byte after it is a TLS record; no private value
(nor the token, nor even the sanitized text) is visible on the wire; cutting the link in the
middle of a streamed answer ends the request with a typed error and no finished answer, and
restoring the link serves the next request without restarting anything.

Skips, with the reason, where namespaces cannot be made (not root, no ``ip``, no permission).
Namespaces, link and processes are removed in teardown whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from privsplit.client import Client
from privsplit.shared.errors import (
    CloudUnavailable,
    DeadlineExceeded,
    PrivsplitError,
    Unavailable,
)
from tests.conftest import PERSON_SENT, REPO
from tests.deploy import wire

CLOUD_IP, EDGE_IP, PORT = "192.0.2.1", "192.0.2.2", 50051
SERVER_NAME = "gateway.example.internal"
TENANT = "acme"
DEADLINE = 15  # the edge's cloud deadline (seconds); bounds the test if the link hangs
KEEPALIVE = 2  # the edge's keepalive pings (seconds): a dead link is UNAVAILABLE, not a timeout
RECOVERY = 40  # seconds the edge may take to carry requests again once the link is back
PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org")
ASK = "Write one short sentence greeting Maria Gonzalez (maria.gonzalez@example.org)."
AGAIN = (
    "Write one short sentence thanking Maria Gonzalez (maria.gonzalez@example.org)."  # not cached
)
LONG = "Tell a long story about Maria Gonzalez (maria.gonzalez@example.org) in the mountains."
SUFFIX = str(os.getpid())


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def _why_not() -> str | None:
    """Why network namespaces cannot be made here, or None."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "creating network namespaces (ip netns add) needs root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed: make sysdeps"
    probe = f"psprobe{SUFFIX}"
    made = _run("ip", "netns", "add", probe)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    _run("ip", "netns", "del", probe)
    return None


@dataclass
class Link:
    """Two namespaces joined by a veth pair; ``cut``/``restore`` take the cloud's end down/up."""

    cloud_ns: str
    edge_ns: str
    cloud_if: str
    edge_if: str

    def exec(self, ns: str) -> list[str]:
        return ["ip", "netns", "exec", ns]

    def _set(self, state: str) -> None:
        proc = _run("ip", "-n", self.cloud_ns, "link", "set", self.cloud_if, state)
        assert proc.returncode == 0, proc.stderr

    def cut(self) -> None:
        self._set("down")

    def restore(self) -> None:
        self._set("up")


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    reason = _why_not()
    if reason is not None:
        print(f"\ntwo-host test skipped: {reason}", file=sys.stderr)
        pytest.skip(reason)
    net = Link(f"pscloud{SUFFIX}", f"psedge{SUFFIX}", f"psc{SUFFIX}", f"pse{SUFFIX}")
    steps = [
        ("netns", "add", net.cloud_ns),
        ("netns", "add", net.edge_ns),
        ("link", "add", net.cloud_if, "type", "veth", "peer", "name", net.edge_if),
        ("link", "set", net.cloud_if, "netns", net.cloud_ns),
        ("link", "set", net.edge_if, "netns", net.edge_ns),
        ("-n", net.cloud_ns, "addr", "add", f"{CLOUD_IP}/24", "dev", net.cloud_if),
        ("-n", net.edge_ns, "addr", "add", f"{EDGE_IP}/24", "dev", net.edge_if),
        ("-n", net.cloud_ns, "link", "set", "lo", "up"),
        ("-n", net.edge_ns, "link", "set", "lo", "up"),
        ("-n", net.cloud_ns, "link", "set", net.cloud_if, "up"),
        ("-n", net.edge_ns, "link", "set", net.edge_if, "up"),
    ]
    try:
        for step in steps:
            proc = _run("ip", *step)
            assert proc.returncode == 0, f"ip {' '.join(step)}: {proc.stderr}"
        yield net
    finally:
        for ns in (net.cloud_ns, net.edge_ns):
            _run("ip", "netns", "del", ns)  # takes the veth pair with it
        _run("ip", "link", "del", net.cloud_if)  # if it never left the root namespace
        left = _run("ip", "netns", "list").stdout
        assert net.cloud_ns not in left and net.edge_ns not in left, left


@dataclass
class Hosts:
    link: Link
    cloud: subprocess.Popen
    edge: subprocess.Popen
    capture: subprocess.Popen
    cloud_log: Path
    edge_log: Path
    pcap: Path
    socket_path: Path
    audit_dir: Path
    token: str

    def events(self, log: Path, name: str) -> list[dict]:
        lines = log.read_text().splitlines()
        return [r for r in map(_json, lines) if r and r.get("event") == name]


def _json(line: str) -> dict | None:
    if not line.startswith("{"):
        return None
    try:
        return json.loads(line)
    except ValueError:
        return None


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def _wait_for(proc: subprocess.Popen, log: Path, event: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited early ({proc.returncode}):\n{log.read_text()[-3000:]}")
        if any(_json(line) and _json(line).get("event") == event for line in log.open()):
            return
        time.sleep(0.1)
    raise TimeoutError(f"no {event}:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def hosts(link: Link, test_model_path: Path) -> Iterator[Hosts]:
    root = Path(tempfile.mkdtemp(prefix="ps2h", dir="/tmp"))  # short: sun_path is 108 bytes
    procs: list[subprocess.Popen] = []
    try:
        tls = root / "tls"
        made = _cli("certs", "init", "--dir", str(tls), "--server-name", SERVER_NAME)
        assert made.returncode == 0, made.stderr
        issued = _cli("cloud", "new-token", TENANT)
        assert issued.returncode == 0, issued.stderr
        token = issued.stdout.strip()
        entry = json.loads(issued.stderr.strip().splitlines()[-1])
        token_file = root / "cloud-token"
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        cloud_yaml = root / "cloud.yaml"
        cloud_yaml.write_text(
            json.dumps(
                {
                    "host": CLOUD_IP,
                    "port": PORT,
                    "backend": "llamacpp",
                    "n_ctx": 1024,
                    "n_threads": 1,
                    "tls_cert": str(tls / "server.pem"),
                    "tls_key": str(tls / "server.key"),
                    "tls_client_ca": str(tls / "ca.pem"),
                    "tenants": [{**entry, "client_names": ["edge"]}],
                }
            )
        )
        base = {k: v for k, v in os.environ.items() if not k.startswith("PRIVSPLIT_")}
        pcap = root / "edge-link.cap"
        capture = subprocess.Popen(
            [*link.exec(link.edge_ns), sys.executable, wire.__file__, link.edge_if, str(pcap)],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(capture)
        assert capture.stdout is not None and capture.stdout.readline().strip() == "ready"
        cloud_log, edge_log = root / "cloud.log", root / "edge.log"
        cloud = subprocess.Popen(
            [*link.exec(link.cloud_ns), sys.executable, "-m", "privsplit.cli.main", "cloud"]
            + ["serve", "--config", str(cloud_yaml), "--model", str(test_model_path)],
            stdout=cloud_log.open("w"),
            stderr=subprocess.STDOUT,
            env=base,
            cwd=REPO,
        )
        procs.append(cloud)
        socket_path = root / "run" / "edge.sock"
        edge_env = {
            **base,
            "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
            "PRIVSPLIT_EDGE_MAX_TOKENS": "32",
            "PRIVSPLIT_EDGE_CLOUD__DEADLINE_SECONDS": str(DEADLINE),
            # pings notice the cut link in ~KEEPALIVE + KEEPALIVE/2, well before the deadline
            "PRIVSPLIT_EDGE_CLOUD__KEEPALIVE_SECONDS": str(KEEPALIVE),
            "PRIVSPLIT_EDGE_CLOUD__TLS_CA": str(tls / "ca.pem"),
            "PRIVSPLIT_EDGE_CLOUD__TLS_CERT": str(tls / "client-edge.pem"),
            "PRIVSPLIT_EDGE_CLOUD__TLS_KEY": str(tls / "client-edge.key"),
            "PRIVSPLIT_EDGE_CLOUD__TLS_SERVER_NAME": SERVER_NAME,
            "PRIVSPLIT_EDGE_CLOUD__TOKEN_FILE": str(token_file),
            "PRIVSPLIT_EDGE_DAEMON__API_KEY": "two-hosts-key-0123456789",
            "PRIVSPLIT_EDGE_DAEMON__VAULT_KEY_FILE": str(root / "keys" / "vault.key"),
        }
        edge = subprocess.Popen(
            [*link.exec(link.edge_ns), sys.executable, "-m", "privsplit.cli.main", "edge"]
            + ["serve", "--cloud", f"{CLOUD_IP}:{PORT}", "--socket", str(socket_path)]
            + ["--no-http", "--audit-dir", str(root / "audit"), "--state-dir", str(root / "st")],
            stdout=edge_log.open("w"),
            stderr=subprocess.STDOUT,
            env=edge_env,
            cwd=REPO,
        )
        procs.append(edge)
        _wait_for(cloud, cloud_log, "cloud_listening")
        _wait_for(edge, edge_log, "edge_listening")
        yield Hosts(
            link,
            cloud,
            edge,
            capture,
            cloud_log,
            edge_log,
            pcap,
            socket_path,
            root / "audit",
            token,
        )
    finally:
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def _gateway_streams(h: Hosts) -> list[wire.Stream]:
    return [s for s in wire.streams(h.pcap) if PORT in (s.src[1], s.dst[1])]


def _assert_nothing_private_on_the_wire(h: Hosts, outbound: tuple[str, ...]) -> None:
    raw = b"".join(frame for _, frame in wire.frames(h.pcap))
    assert SERVER_NAME.encode() in raw  # the capture sees clear bytes (the ClientHello's SNI)
    secrets = [*PRIVATE, h.token, *outbound, "PERSON_1", "Bearer"]
    for stream in _gateway_streams(h):
        for value in secrets:
            assert value.encode() not in stream.data, f"{value!r} crossed the link in clear"
    for value in secrets:
        assert value.encode() not in raw


@pytest.mark.slow
def test_private_request_crosses_the_link_sanitized_over_tls13(hosts: Hosts) -> None:
    with Client(socket_path=hosts.socket_path) as client:
        answer = client.ask(ASK)
    assert answer.route == "cloud" and answer.text.strip()
    sent = "\n".join(answer.outbound)
    assert PERSON_SENT in sent and not any(v in sent for v in PRIVATE)
    time.sleep(0.3)  # the last frames reach the capture file

    streams = _gateway_streams(hosts)
    to_cloud = [s for s in streams if s.dst == (CLOUD_IP, PORT)]
    from_cloud = [s for s in streams if s.src == (CLOUD_IP, PORT)]
    assert len(to_cloud) == len(from_cloud) == 1, [(s.src, s.dst) for s in streams]
    for stream in to_cloud + from_cloud:
        assert stream.syn and stream.gaps == 0
        records, partial = wire.tls_records(stream.data)
        assert partial == 0
        assert records[0][0] == wire.TLS_HANDSHAKE  # ClientHello / ServerHello
        later = {rtype for rtype, _ in records[1:]}
        assert later <= {wire.TLS_CCS, wire.TLS_APPDATA}, later  # all else encrypted
        assert wire.TLS_APPDATA in later
    server_hello = wire.tls_records(from_cloud[0].data)[0][0][1]
    assert wire.server_hello_version(server_hello) == wire.TLS13
    _assert_nothing_private_on_the_wire(hosts, answer.outbound)
    assert not any(v in hosts.cloud_log.read_text() for v in PRIVATE)


@pytest.mark.slow
def test_cut_link_mid_request_fails_cleanly_and_recovers(hosts: Hosts) -> None:
    cloud_pid, edge_pid = hosts.cloud.pid, hosts.edge.pid
    events, error, cut_at = [], None, 0.0
    with Client(socket_path=hosts.socket_path) as client:
        try:
            for event in client.stream(LONG):
                events.append(event)
                if event.kind == "delta" and not cut_at:
                    hosts.link.cut()  # the cloud is streaming the answer
                    cut_at = time.monotonic()
        except PrivsplitError as exc:
            error = exc
        failed_after = time.monotonic() - cut_at
        kinds = [e.kind for e in events]
        assert cut_at, f"no delta arrived before the stream ended: {kinds}"
        assert error is not None, f"the stream finished despite the cut: {kinds}"
        assert "done" not in kinds  # no answer presented as finished
        outbound = next(e.outbound for e in events if e.kind == "outbound")
        assert failed_after < DEADLINE + 5

        hosts.link.restore()
        started, refused = time.monotonic(), []
        while True:  # until the edge's connection carries requests again
            try:
                answer = client.ask(AGAIN)
                break
            except (CloudUnavailable, DeadlineExceeded) as exc:
                # typed, while TCP retransmits after the outage (backoff) or gRPC reconnects
                refused.append(type(exc).__name__)
                assert time.monotonic() - started < RECOVERY, f"no recovery: {refused}"
                time.sleep(0.5)
        recovered_in = time.monotonic() - started
    assert answer.route == "cloud" and answer.text.strip()
    # nothing was restarted: the same processes, each started once
    assert hosts.cloud.poll() is None and hosts.edge.poll() is None
    assert (hosts.cloud.pid, hosts.edge.pid) == (cloud_pid, edge_pid)
    assert len(hosts.events(hosts.cloud_log, "cloud_listening")) == 1
    assert len(hosts.events(hosts.edge_log, "edge_listening")) == 1
    # the cut request was not sent again: one Complete per request that reached the gateway
    completes = [e for e in hosts.events(hosts.cloud_log, "rpc_done") if e["method"] == "Complete"]
    assert len(completes) <= 3
    time.sleep(0.3)
    for stream in _gateway_streams(hosts):
        if stream.dst == (CLOUD_IP, PORT):  # the edge sent whole TLS records, nothing else
            records, partial = wire.tls_records(stream.data)
            assert partial == 0 and records
    _assert_nothing_private_on_the_wire(hosts, outbound + answer.outbound)
    print(
        f"\nlink cut: {type(error).__name__} after {failed_after:.1f} s; "
        f"recovered in {recovered_in:.1f} s (failed first: {refused or 'none'})"
    )
    assert isinstance(error, Unavailable), repr(error)


def test_skip_reasons_name_what_is_missing(monkeypatch) -> None:
    """Where namespaces cannot be made the test says why (pytest -rs prints it)."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "needs root" in (_why_not() or "")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "iproute2" in (_why_not() or "")
