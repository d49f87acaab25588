"""The runnable examples of the README's usage sections, executed against the real daemon and cloud."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from privsplit.client import Client
from tests.conftest import REPO
from tests.edge.daemon.conftest import Daemon

pytestmark = pytest.mark.slow
DOC = REPO / "README.md"


def _usage_section() -> str:
    text = DOC.read_text()
    start, end = text.index("<!-- usage:start"), text.index("<!-- usage:end -->")
    return text[start:end]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _usage_section(), flags=re.S)


def _env(daemon: Daemon) -> dict[str, str]:
    """The daemon's own settings (key file, socket) for the examples and the commands."""
    return {
        **os.environ,
        **daemon.env,
        "PRIVSPLIT_EDGE_DAEMON__SOCKET_PATH": str(daemon.socket_path),
    }


def _cli(command: str) -> str:
    return command.replace(
        ".venv/bin/privsplit", f"{shlex.quote(sys.executable)} -m privsplit.cli.main"
    )


def _exported_key(daemon: Daemon) -> str:
    """Run the README's `export OPENAI_API_KEY=...` line as written (with this venv's CLI)."""
    (line,) = re.findall(r"^export OPENAI_API_KEY=.*$", _usage_section(), flags=re.M)
    proc = subprocess.run(
        ["bash", "-c", _cli(line) + '\nprintf %s "$OPENAI_API_KEY"'],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(daemon),
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_documented_key_command_prints_the_daemons_key(locked_daemon: Daemon) -> None:
    key = _exported_key(locked_daemon)
    assert len(key) >= 32 and key == locked_daemon.api_key_file.read_text().strip()


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_example_runs(locked_daemon: Daemon, index: int) -> None:
    daemon = locked_daemon  # the key comes from its key file, as for a user
    code = blocks("python")[index].replace("127.0.0.1:8765", f"127.0.0.1:{daemon.http_port}")
    env = _env(daemon)
    if "OPENAI_API_KEY" in code:
        env["OPENAI_API_KEY"] = _exported_key(daemon)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    if "redact(text)" in code:
        assert "[PERSON_1]" in proc.stdout and "[EMAIL_ADDRESS_1]" in proc.stdout


def test_audit_commands_run(daemon: Daemon, tmp_path: Path) -> None:
    with Client(socket_path=daemon.socket_path) as client:  # at least one record to show
        client.ask("Write one sentence greeting Maria Gonzalez.")
    commands = [line.split("#")[0].strip() for line in blocks("bash")[-1].splitlines()]
    pinned = tmp_path / "pinned.pub"
    shutil.copy(daemon.audit_dir / "signing.pub", pinned)
    ran = 0
    for command in filter(None, commands):
        args = shlex.split(command.replace("pinned.pub", str(pinned)))
        assert args[0] == ".venv/bin/privsplit"
        proc = subprocess.run(
            [sys.executable, "-m", "privsplit.cli.main", *args[1:], "--dir", str(daemon.audit_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
        assert proc.returncode == 0, proc.stderr
        ran += 1
    assert ran == 3
