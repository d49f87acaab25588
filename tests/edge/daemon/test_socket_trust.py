"""The daemon refuses a socket directory another user could tamper with, and says how to
recover. Played with a real ``privsplit edge serve`` process against a directory that belongs
to uid 65534 (made first, as an attacker would make ``/tmp/privsplit-$UID``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from privsplit.edge.daemon.server import prepare_socket
from privsplit.shared.errors import ConfigError


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="pss", dir="/tmp"))
    yield base / "privsplit"
    subprocess.run(["rm", "-rf", str(base)], check=False)


def serve(socket_path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
        "PRIVSPLIT_EDGE_DAEMON__VAULT_KEY_FILE": str(tmp_path / "k" / "vault.key"),
    }
    args = ["edge", "serve", "--insecure", "--no-http", "--socket", str(socket_path)]
    args += ["--audit-dir", str(tmp_path / "a"), "--state-dir", str(tmp_path / "s")]
    return subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_directory_of_another_user_stops_the_daemon_with_a_way_out(
    sock_dir: Path, tmp_path: Path
) -> None:
    sock_dir.mkdir(mode=0o755)
    os.chown(sock_dir, 65534, 65534)
    proc = serve(sock_dir / "edge.sock", tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    err = " ".join(proc.stderr.split())
    assert "owned by uid 65534" in err and "impersonate" in err
    assert f"rm -r {sock_dir}" in err  # how to recover
    assert "XDG_RUNTIME_DIR" in err and "PRIVSPLIT_EDGE_DAEMON__SOCKET_PATH" in err
    assert not (sock_dir / "edge.sock").exists()


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777])
def test_directory_writable_by_others_is_refused_with_a_fix(sock_dir: Path, mode: int) -> None:
    sock_dir.mkdir()
    sock_dir.chmod(mode)
    with pytest.raises(ConfigError, match=f"mode {mode & 0o777:o}.*chmod 700 {sock_dir}"):
        prepare_socket(sock_dir / "edge.sock")
    sock_dir.chmod(0o700)
    prepare_socket(sock_dir / "edge.sock")  # the fix it names works
