"""The SDK refuses a Unix socket another user could control, before it sends anything.

The hostile side is real: listeners run in processes that dropped to uid 65534 (``nobody``),
directories and sockets are made by that user or given to it with chown. Each listener reports
the connections it saw and the bytes it read, so a test can assert that nothing was sent.
The tests run as root (the project's test machines do); without root they are skipped.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from privsplit.client import AsyncClient, Client, RetryPolicy, UntrustedSocket
from privsplit.client._trust import TRUSTED_UID_ENV, check_socket
from privsplit.shared.errors import ConfigError, PermissionDenied

NOBODY = 65534
FAST = RetryPolicy(attempts=2, initial_backoff=0.05, max_backoff=0.1)
PRIVATE = "Email Maria Gonzalez, card 4111 1111 1111 1111"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="playing another user needs root")

# The hostile processes start as root and drop to nobody themselves (os.setuid), after their
# imports: the interpreter lives in a directory nobody may not read.
# A plain listener. "attacker": drop first, then make the directory and listen in it.
# "impostor": bind as root in our directory, drop, then listen (the file and directory look
# like ours; only the listening process's credentials differ). Each connection's byte count is
# reported on stdout.
LISTENER = r"""
import os, socket, sys
path, role = sys.argv[1], sys.argv[2]
def drop():
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
if role == "attacker":
    drop()
    os.mkdir(os.path.dirname(path), 0o700)
s = socket.socket(socket.AF_UNIX)
s.bind(path)
if role == "impostor":
    drop()
s.listen(8)
print("ready", os.getuid(), flush=True)
while True:
    conn, _ = s.accept()
    conn.settimeout(1.0)
    n = 0
    try:
        while data := conn.recv(65536):
            n += len(data)
    except OSError:
        pass
    conn.close()
    print("conn", n, flush=True)
"""

# A real gRPC EdgeAgent run by nobody in its own directory: a system-wide daemon's shape.
GRPC_DAEMON = r"""
import os, sys, time
from concurrent import futures
import grpc
from privsplit.shared.proto import EdgeAgentServicer, add_EdgeAgentServicer_to_server, edge
class Agent(EdgeAgentServicer):
    def Redact(self, request, context):
        return edge.RedactResponse(redacted_text="served by uid %d" % os.getuid())
path = sys.argv[1]
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
add_EdgeAgentServicer_to_server(Agent(), server)
os.setgroups([]); os.setgid(65534); os.setuid(65534)
os.mkdir(os.path.dirname(path), 0o750)
server.add_insecure_port("unix:" + path)
server.start()
print("ready", os.getuid(), flush=True)
time.sleep(120)
"""


class Listener:
    """A hostile listener process; ``connections()`` stops it and returns bytes per connection."""

    def __init__(self, script: str, path: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, str(path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("ready"):
            self.proc.kill()
            raise RuntimeError(f"listener did not start: {line}{self.proc.stderr.read()}")
        self.uid = int(line.split()[1])
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        self.lines.extend(self.proc.stdout)

    def connections(self, expected: int = 0) -> list[int]:
        """Bytes per connection, once ``expected`` connections have been handled (a loaded
        machine may accept the last probe after the client has returned), or after a short
        settling time when none is expected (a late stray connection still shows)."""
        deadline = time.monotonic() + (10 if expected else 0.5)
        while time.monotonic() < deadline and self._count() < max(expected, 1):
            time.sleep(0.02)
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        return [int(line.split()[1]) for line in self.lines if line.startswith("conn")]

    def _count(self) -> int:
        return sum(line.startswith("conn") for line in self.lines)


@pytest.fixture
def place() -> Iterator[Path]:
    """A fresh short path in /tmp (sun_path is 108 bytes) whose directory does not exist yet."""
    base = Path(tempfile.mkdtemp(prefix="pst", dir="/tmp"))
    base.chmod(0o1777)  # like /tmp: nobody may create the socket directory here
    yield base / "run" / "edge.sock"
    subprocess.run(["rm", "-rf", str(base)], check=False)


class OurListener:
    """A listener in this process (our uid) counting connections: for the file checks.

    No accepting thread: a completed connect() to a Unix socket is already queued on the
    listener, so ``accepted()`` drains the queue without blocking and counts it exactly."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.count = 0

    def accepted(self) -> int:
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return self.count
            self.count += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def test_directory_made_by_another_user_is_refused_and_nothing_is_sent(place: Path) -> None:
    attacker = Listener(LISTENER, place, "attacker")
    assert attacker.uid == NOBODY and place.parent.stat().st_uid == NOBODY
    with Client(socket_path=place, retry=FAST) as client:
        with pytest.raises(UntrustedSocket) as caught:
            client.redact(PRIVATE)
        with pytest.raises(UntrustedSocket):
            list(client.stream(PRIVATE))
    message = caught.value.message
    assert "owned by uid 65534" in message and "remove it" in message
    assert TRUSTED_UID_ENV in message  # and how a system-wide daemon is trusted
    assert attacker.connections() == []  # not even a connection: refused on the directory


async def test_async_client_refuses_a_directory_of_another_user(place: Path) -> None:
    attacker = Listener(LISTENER, place, "attacker")
    async with AsyncClient(socket_path=place, retry=FAST) as client:
        with pytest.raises(UntrustedSocket, match="owned by uid 65534"):
            await client.redact(PRIVATE)
        with pytest.raises(UntrustedSocket):
            async for _ in client.stream(PRIVATE):
                pass
    assert attacker.connections() == []


def test_peer_of_another_uid_is_refused_by_its_credentials(place: Path) -> None:
    # directory and socket file are ours (made as root); the listening process is nobody's:
    # only SO_PEERCRED tells them apart
    place.parent.mkdir(mode=0o700)
    impostor = Listener(LISTENER, place, "impostor")
    assert impostor.uid == NOBODY and place.stat().st_uid == os.getuid()
    for make in (Client, AsyncClient):
        client = make(socket_path=place, retry=FAST)
        with pytest.raises(UntrustedSocket, match="listening on .* runs as uid 65534"):
            if make is Client:
                client.redact(PRIVATE)
            else:
                asyncio.run(client.redact(PRIVATE))
    assert impostor.connections(expected=2) == [0, 0]  # the two probes only: no byte was sent


@pytest.mark.parametrize("mode", [0o770, 0o777, 0o730, 0o703])
def test_directory_writable_by_group_or_others_is_refused(place: Path, mode: int) -> None:
    place.parent.mkdir()
    place.parent.chmod(mode)
    ours = OurListener(place)
    try:
        with Client(socket_path=place, retry=FAST) as client:
            with pytest.raises(UntrustedSocket, match="writable by group or others.*chmod 700"):
                client.redact(PRIVATE)
        assert ours.accepted() == 0
        place.parent.chmod(0o700)  # the same socket in a private directory passes the checks
        check_socket(place)
        assert ours.accepted() == 1
    finally:
        ours.close()


def test_socket_owned_by_another_user_is_refused(place: Path) -> None:
    place.parent.mkdir(mode=0o700)
    ours = OurListener(place)
    os.chown(place, NOBODY, NOBODY)
    try:
        with pytest.raises(UntrustedSocket, match="socket .* is owned by uid 65534"):
            Client(socket_path=place, retry=FAST).redact(PRIVATE)
        assert ours.accepted() == 0
    finally:
        ours.close()


def test_a_file_that_is_not_a_socket_is_refused(place: Path) -> None:
    place.parent.mkdir(mode=0o700)
    place.write_text("")
    with pytest.raises(UntrustedSocket, match="not a socket"):
        Client(socket_path=place, retry=FAST).redact(PRIVATE)


def test_writable_directory_above_the_socket_is_refused(place: Path) -> None:
    shared = place.parent.parent / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # not sticky: anyone may rename what is inside
    inner = shared / "run"
    inner.mkdir(mode=0o700)
    with pytest.raises(UntrustedSocket, match="above the socket, is writable"):
        check_socket(inner / "edge.sock")
    shared.chmod(0o1777)  # sticky like /tmp: others cannot rename our entries
    with pytest.raises(Exception, match="not running"):  # past the checks: no daemon yet
        check_socket(inner / "edge.sock")


def test_a_trusted_daemon_user_is_accepted(place: Path, monkeypatch) -> None:
    """A system-wide daemon runs as its own user; the app names it and the request goes through."""
    daemon = Listener(GRPC_DAEMON, place)
    try:
        with pytest.raises(UntrustedSocket, match="owned by uid 65534"):
            Client(socket_path=place, retry=FAST).redact("hi")
        with Client(socket_path=place, retry=FAST, trusted_daemon_uid=NOBODY) as client:
            assert client.redact("hi").text == "served by uid 65534"
        monkeypatch.setenv(TRUSTED_UID_ENV, "nobody")  # a user name works too
        with Client(socket_path=place, retry=FAST) as client:
            assert client.redact("hi").text == "served by uid 65534"
    finally:
        daemon.connections()


def test_an_unknown_trusted_user_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Client(socket_path="/tmp/x/edge.sock", trusted_daemon_uid="no-such-user-here")


def test_untrusted_socket_is_a_permission_error() -> None:
    assert issubclass(UntrustedSocket, PermissionDenied)
