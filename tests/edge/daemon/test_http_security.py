"""The HTTP API and TCP gRPC are locked by default: the hostile side, over real HTTP on loopback.

``locked_daemon`` is a real daemon process started as a user would start it (no API key
configured, so the key file is created at start) with PRIVSPLIT_ORIGINS allowing
``http://localhost:*`` and ``https://app.example``. A web page (foreign Host from DNS
rebinding, foreign Origin, a blind text/plain POST), a local process without the key, and a
key file other users can read are each refused; nothing reaches the cloud or the audit log.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from privsplit.edge.audit.log import read_records
from privsplit.edge.daemon.apikey import load_or_create_api_key
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ConfigError, Unauthenticated
from tests.conftest import REPO
from tests.edge.daemon.conftest import Daemon, completions_done

pytestmark = pytest.mark.slow
CHAT = {"model": "privsplit", "messages": [{"role": "user", "content": "Greet Maria Gonzalez."}]}
FOREIGN_ORIGINS = [
    "http://attacker.example",
    "null",  # sandboxed iframes and file:// pages
    "http://localhost.attacker.example",
    "https://localhost:3000",  # the allowed pattern is http:// only
    "https://app.example.attacker.example",
]


def call(
    daemon: Daemon,
    method: str,
    path: str,
    *,
    key: str | None = "daemon",
    headers: dict[str, str] | None = None,
    body: dict | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (http.client sends our Host header as given)."""
    hdrs = {"Host": f"127.0.0.1:{daemon.http_port}"}
    if key is not None:
        hdrs["Authorization"] = f"Bearer {daemon.api_key if key == 'daemon' else key}"
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", daemon.http_port, timeout=120)
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None, hdrs)
        reply = conn.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        conn.close()


def _sent(daemon: Daemon, cloud_server) -> tuple[int, int]:
    """(completions served by the cloud, audit records): both unchanged when a request is refused."""
    log = daemon.audit_dir / "egress.log"
    return completions_done(cloud_server), len(list(read_records(log))) if log.exists() else 0


def _error(body: bytes, kind: str) -> dict:
    error = json.loads(body)["error"]  # the OpenAI error shape
    assert error["type"] == kind and error["message"], error
    return error


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``privsplit ARGS`` with the given settings variables."""
    return subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        cwd=REPO,
    )


# --- the key ---


def test_key_file_is_created_private_and_printed_by_edge_key(locked_daemon: Daemon) -> None:
    path = locked_daemon.api_key_file
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.getuid()
    key = path.read_text().strip()
    assert len(key) >= 43  # secrets.token_urlsafe(32)
    printed = _cli(locked_daemon.env, "edge", "key")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == key
    assert _cli(locked_daemon.env, "edge", "key", "--path").stdout.strip() == str(path)


def test_happy_path_openai_sdk_with_the_printed_key(locked_daemon: Daemon) -> None:
    key = _cli(locked_daemon.env, "edge", "key").stdout.strip()
    client = openai.OpenAI(base_url=locked_daemon.http_base, api_key=key, max_retries=0)
    assert [m.id for m in client.models.list()] == ["privsplit"]
    reply = client.chat.completions.create(**CHAT)
    assert reply.choices[0].message.content.strip()
    sent = list(read_records(locked_daemon.audit_dir / "egress.log"))[-1]["outbound"][0]
    assert "Maria" not in sent


@pytest.mark.parametrize("key", [None, "wrong-key-0123456789abcdef", ""])
@pytest.mark.parametrize(
    "method, path", [("POST", "/v1/chat/completions"), ("GET", "/v1/models"), ("GET", "/metrics")]
)
def test_no_or_wrong_key_is_401(
    locked_daemon: Daemon, cloud_server, key: str | None, method: str, path: str
) -> None:
    before = _sent(locked_daemon, cloud_server)
    status, headers, body = call(
        locked_daemon, method, path, key=key, body=CHAT if method == "POST" else None
    )
    assert status == 401 and headers.get("www-authenticate") == "Bearer"
    _error(body, "unauthenticated")
    assert b"privsplit_edge" not in body  # no metrics without the key
    assert _sent(locked_daemon, cloud_server) == before


def test_key_in_another_scheme_is_401(locked_daemon: Daemon) -> None:
    status, _, _ = call(
        locked_daemon,
        "GET",
        "/v1/models",
        key=None,
        headers={"Authorization": f"Basic {locked_daemon.api_key}"},
    )
    assert status == 401


def test_openai_sdk_with_wrong_key_is_refused(locked_daemon: Daemon) -> None:
    bad = openai.OpenAI(base_url=locked_daemon.http_base, api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(**CHAT)


def test_metrics_need_the_key_and_healthz_stays_open(locked_daemon: Daemon) -> None:
    assert call(locked_daemon, "GET", "/metrics", key=None)[0] == 401
    status, _, body = call(locked_daemon, "GET", "/metrics")
    assert status == 200 and b"privsplit_edge_requests_total" in body
    status, _, body = call(locked_daemon, "GET", "/healthz", key=None)
    assert status == 200 and json.loads(body) == {"status": "ok"}


def test_tcp_grpc_needs_the_key_by_default(locked_daemon: Daemon) -> None:
    from privsplit.client import Client

    with Client(address=locked_daemon.tcp_address) as client, pytest.raises(Unauthenticated):
        client.redact("Maria Gonzalez")
    with Client(address=locked_daemon.tcp_address, api_key="wrong-key-0123456789") as client:
        with pytest.raises(Unauthenticated):
            client.redact("Maria Gonzalez")
    with Client(address=locked_daemon.tcp_address, api_key=locked_daemon.api_key) as client:
        assert "[PERSON_1]" in client.redact("Maria Gonzalez").text


def test_configured_api_key_is_used_and_no_key_file_is_made(daemon: Daemon) -> None:
    assert daemon.env["PRIVSPLIT_EDGE_DAEMON__API_KEY"] == daemon.api_key
    assert call(daemon, "GET", "/v1/models")[0] == 200
    assert call(daemon, "GET", "/v1/models", key="wrong-key-0123456789abcdef")[0] == 401
    assert not daemon.api_key_file.exists()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "api.key").write_text("k" * 43 + "\n")
    (keys / "api.key").chmod(mode)
    env = {"PRIVSPLIT_EDGE_DAEMON__VAULT_KEY_FILE": str(keys / "vault.key")}
    printed = _cli(env, "edge", "key")
    assert printed.returncode == 2 and "k" * 43 not in printed.stdout
    assert re.search(r"readable by other users.*chmod 600", " ".join(printed.stderr.split()))
    served = _cli(
        env,
        "edge",
        "serve",
        "--insecure",
        "--socket",
        str(tmp_path / "s.sock"),
        "--http-port",
        "0",
        "--audit-dir",
        str(tmp_path / "audit"),
        "--state-dir",
        str(tmp_path / "state"),
    )
    assert served.returncode == 2, served.stderr[-2000:]
    assert re.search(r"readable by other users.*chmod 600", " ".join(served.stderr.split()))
    assert "Traceback" not in served.stderr


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another uid needs root")
def test_key_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "api.key"
    path.write_text("k" * 43)
    path.chmod(0o600)
    os.chown(path, 65534, 65534)
    with pytest.raises(ConfigError, match="not to this user"):
        load_or_create_api_key(path)


def _race(path: str, barrier, results) -> None:
    barrier.wait()
    results.put(load_or_create_api_key(Path(path)))


def test_daemons_racing_for_the_key_file_share_one_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    path, n = tmp_path / "cfg" / "api.key", 8
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(path), barrier, results)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * n
    keys = {results.get(timeout=5) for _ in range(n)}
    assert keys == {path.read_text().strip()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["api.key"]  # no temp files left


# --- Host (DNS rebinding) ---


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example",
        "attacker.example:{port}",
        "localhost.attacker.example:{port}",
        "127.0.0.1.nip.io:{port}",
        "localhost.:{port}",
        "[::2]:{port}",
    ],
)
@pytest.mark.parametrize("method, path", [("POST", "/v1/chat/completions"), ("GET", "/healthz")])
def test_foreign_host_is_refused(
    locked_daemon: Daemon, cloud_server, host: str, method: str, path: str
) -> None:
    before = _sent(locked_daemon, cloud_server)
    status, _, body = call(
        locked_daemon,
        method,
        path,
        headers={"Host": host.format(port=locked_daemon.http_port)},
        body=CHAT if method == "POST" else None,
    )
    assert status == 403
    _error(body, "permission_denied")
    assert _sent(locked_daemon, cloud_server) == before


def test_request_without_host_is_refused(locked_daemon: Daemon) -> None:
    with socket.create_connection(("127.0.0.1", locked_daemon.http_port), timeout=30) as s:
        s.sendall(
            f"GET /v1/models HTTP/1.0\r\nAuthorization: Bearer {locked_daemon.api_key}\r\n\r\n".encode()
        )
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert reply.split(b"\r\n", 1)[0].split()[1] == b"403"


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}", "127.0.0.1"]
)
def test_loopback_hosts_are_served(locked_daemon: Daemon, host: str) -> None:
    status, _, body = call(
        locked_daemon,
        "GET",
        "/v1/models",
        headers={"Host": host.format(port=locked_daemon.http_port)},
    )
    assert status == 200 and json.loads(body)["data"][0]["id"] == "privsplit"


# --- Origin (browsers) ---


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_foreign_origin_is_refused(locked_daemon: Daemon, cloud_server, origin: str) -> None:
    before = _sent(locked_daemon, cloud_server)
    status, headers, body = call(
        locked_daemon, "POST", "/v1/chat/completions", headers={"Origin": origin}, body=CHAT
    )
    assert status == 403 and "access-control-allow-origin" not in headers
    _error(body, "permission_denied")
    assert _sent(locked_daemon, cloud_server) == before
    preflight = call(
        locked_daemon,
        "OPTIONS",
        "/v1/chat/completions",
        key=None,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight[0] == 403 and "access-control-allow-origin" not in preflight[1]


@pytest.mark.parametrize("origin", ["http://localhost:3000", "https://app.example"])
def test_configured_origin_gets_cors(locked_daemon: Daemon, origin: str) -> None:
    status, headers, _ = call(
        locked_daemon,
        "OPTIONS",
        "/v1/chat/completions",
        key=None,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert status == 200 and headers["access-control-allow-origin"] == origin
    assert "authorization" in headers["access-control-allow-headers"].lower()
    status, headers, _ = call(locked_daemon, "GET", "/v1/models", headers={"Origin": origin})
    assert status == 200 and headers["access-control-allow-origin"] == origin
    # an allowed origin still needs the key
    assert call(locked_daemon, "GET", "/v1/models", key=None, headers={"Origin": origin})[0] == 401


# --- Content-Type (CSRF) ---


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
def test_post_that_is_not_json_is_415(
    locked_daemon: Daemon, cloud_server, content_type: str | None
) -> None:
    before = _sent(locked_daemon, cloud_server)
    conn = http.client.HTTPConnection("127.0.0.1", locked_daemon.http_port, timeout=60)
    headers = {"Authorization": f"Bearer {locked_daemon.api_key}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    conn.request("POST", "/v1/chat/completions", json.dumps(CHAT), headers)  # valid JSON body
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    assert reply.status == 415
    assert "application/json" in _error(body, "invalid_argument")["message"]
    assert _sent(locked_daemon, cloud_server) == before


# --- settings ---


def test_defaults_allow_loopback_hosts_and_no_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIVSPLIT_ORIGINS", raising=False)
    d = EdgeSettings.load().daemon
    assert d.allowed_hosts == ["127.0.0.1", "localhost", "[::1]"] and d.allowed_origins == []
    assert d.api_key is None and d.api_key_file == d.vault_key_file.parent / "api.key"
    monkeypatch.setenv("PRIVSPLIT_ORIGINS", "http://localhost:*, https://A.example,,")
    d = EdgeSettings.load(daemon={"allowed_origins": ["https://b.example"]}).daemon
    assert d.allowed_origins == ["https://b.example", "http://localhost:*", "https://a.example"]


@pytest.mark.parametrize("key", ["short", "has a space in it 0123", "x" * 513])
def test_weak_configured_key_is_refused(key: str) -> None:
    with pytest.raises(ConfigError, match="api_key"):
        EdgeSettings.load(daemon={"api_key": key})
