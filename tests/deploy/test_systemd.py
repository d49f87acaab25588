"""The systemd units as shipped: ``systemd-analyze verify`` accepts both, their hardening score
stays low, and the edge unit's environment really puts the socket, state, keys and models in
the directories systemd makes for it (nothing under /home or /tmp, which ProtectHome= and
PrivateTmp= hide). The last test runs the daemon with the unit's environment (as this user:
the interpreter here is not readable by other users) and reaches it through the SDK. The
trusted-daemon-user path is tested in tests/client/test_socket_trust.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from privsplit.client import Client
from privsplit.edge.settings import EdgeSettings

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
SHIPPED_BINARY = "/opt/privsplit/venv/bin/privsplit"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def service_section(unit: Path) -> dict[str, list[str]]:
    """Key -> values of the [Service] section (repeated keys kept in order)."""
    out: dict[str, list[str]] = {}
    section = ""
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def unit_environment(unit: Path, specifiers: dict[str, str]) -> dict[str, str]:
    """The Environment= assignments with %t/%S/%C/%E replaced as systemd would."""
    env: dict[str, str] = {}
    for value in service_section(unit).get("Environment", []):
        for assignment in value.split():
            key, _, val = assignment.partition("=")
            env[key] = re.sub(r"%([tSCE])", lambda m: specifiers[m.group(1)], val)
    return env


def as_installed(unit: Path, tmp: Path) -> Path:
    """The unit with ExecStart pointing at this venv's privsplit (verify checks the binary)."""
    binary = Path(sys.executable).with_name("privsplit")
    assert binary.exists(), binary
    text = unit.read_text()
    assert SHIPPED_BINARY in text
    copy = tmp / unit.name
    copy.write_text(text.replace(SHIPPED_BINARY, str(binary)))
    return copy


@needs_analyze
@pytest.mark.parametrize("name", ["privsplit-edge.service", "privsplit-cloud.service"])
def test_unit_passes_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    unit = as_installed(UNITS / name, tmp_path)
    proc = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert name not in proc.stderr, proc.stderr  # no warning about this unit either


@needs_analyze
@pytest.mark.parametrize("name", ["privsplit-edge.service", "privsplit-cloud.service"])
def test_unit_hardening_exposure_stays_low(name: str, tmp_path: Path) -> None:
    unit = as_installed(UNITS / name, tmp_path)
    proc = subprocess.run(
        [ANALYZE, "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
    )
    found = re.search(r"Overall exposure level for \S+: ([\d.]+)", proc.stdout)
    assert found, proc.stdout[-2000:] + proc.stderr
    assert float(found.group(1)) <= 2.0, proc.stdout  # 1.6 / 1.7 when written


def test_edge_unit_paths_follow_its_directories(tmp_path: Path, monkeypatch) -> None:
    unit = UNITS / "privsplit-edge.service"
    service = service_section(unit)
    spec = {"t": "/run", "S": "/var/lib", "C": "/var/cache", "E": "/etc"}
    env = unit_environment(unit, spec)
    for key in [k for k in os.environ if k.startswith("PRIVSPLIT_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = EdgeSettings()
    d = settings.daemon
    assert service["RuntimeDirectory"] == ["privsplit"]
    assert d.socket_path == Path("/run/privsplit/edge.sock") and d.socket_group_access
    assert service["StateDirectory"] == ["privsplit"] and service["CacheDirectory"] == ["privsplit"]
    state = Path("/var/lib/privsplit")
    for path in (d.state_dir, d.audit_dir, d.vault_key_file, d.api_key_file):
        assert state in Path(path).parents, path
    assert d.vault_key_file.parent != d.state_dir  # the key never sits beside the vaults
    assert Path("/var/cache/privsplit") in settings.models_dir.parents
    for value in env.values():  # nothing ProtectHome=/PrivateTmp= would hide from apps
        assert not value.startswith(("/home", "/root", "/tmp")), value
    assert service["IPAddressDeny"] == ["any"]
    assert "localhost" in service["IPAddressAllow"] and len(service["IPAddressAllow"]) == 2
    assert service["RuntimeDirectoryMode"] == ["0750"] and service["StateDirectoryMode"] == ["0700"]


@pytest.mark.slow
def test_daemon_runs_with_the_unit_environment() -> None:
    """The directories as systemd makes them (RuntimeDirectoryMode=0750, StateDirectoryMode=0700),
    the daemon started with the unit's environment: the socket, keys and audit log land where
    the unit says, with the unit's modes, and the SDK reaches the daemon there."""
    root = Path(tempfile.mkdtemp(prefix="psu", dir="/tmp"))  # short: sun_path is 108 bytes
    try:
        spec = {"t": str(root / "run"), "S": str(root / "lib"), "C": str(root / "cache")}
        spec["E"] = str(root / "etc")
        for sub, mode in (("run/privsplit", 0o750), ("lib/privsplit", 0o700)):
            (root / sub).mkdir(parents=True)
            (root / sub).chmod(mode)
        env = unit_environment(UNITS / "privsplit-edge.service", spec)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVSPLIT_", "XDG_"))}
        log_path = root / "daemon.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "privsplit.cli.main", "edge", "serve", "--insecure"]
                + ["--cloud", "127.0.0.1:9", "--no-http"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**base, **env, "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact"},
                cwd="/",
            )
        try:
            record = _wait_for_listening(proc, log_path)
            sock = Path(record["socket"])
            assert sock == root / "run/privsplit/edge.sock"
            assert stat.S_IMODE(sock.stat().st_mode) == 0o660  # the group may connect
            assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o750  # systemd's mode is kept
            with Client(socket_path=sock) as client:
                redacted = client.redact("Email Maria Gonzalez at maria@example.com")
            assert "maria@example.com" not in redacted.text and redacted.spans
            keys = root / "lib/privsplit/keys"
            assert stat.S_IMODE((keys / "vault.key").stat().st_mode) == 0o600
            assert (root / "lib/privsplit/audit/signing.key").is_file()
            assert not (root / "lib/privsplit/edge/vault.key").exists()
        finally:
            proc.terminate()
            assert proc.wait(30) == 0, log_path.read_text()[-3000:]
        assert not sock.exists()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_listening(proc: subprocess.Popen, log_path: Path) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited early:\n{log_path.read_text()[-3000:]}")
        for line in log_path.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "edge_listening":
                return json.loads(line)
        time.sleep(0.2)
    proc.kill()
    raise TimeoutError(log_path.read_text()[-3000:])
