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

from tests.conftest import REPO
from tests.daemon.conftest import API_KEY, Daemon

pytestmark = pytest.mark.slow
DOC = REPO / "README.md"


def _usage_section() -> str:
    text = DOC.read_text()
    start, end = text.index("<!-- usage:start"), text.index("<!-- usage:end -->")
    return text[start:end]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _usage_section(), flags=re.S)


def _env(daemon: Daemon) -> dict[str, str]:
    return {**os.environ, "PRIVSPLIT_EDGE_DAEMON__SOCKET_PATH": str(daemon.socket_path)}


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_example_runs(daemon: Daemon, index: int) -> None:
    code = blocks("python")[index].replace("127.0.0.1:8765", f"127.0.0.1:{daemon.http_port}")
    code = code.replace("YOUR_DAEMON_API_KEY", API_KEY)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(daemon),
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    if "redact(text)" in code:
        assert "[PERSON_1]" in proc.stdout and "[EMAIL_ADDRESS_1]" in proc.stdout


def test_audit_commands_run(daemon: Daemon, tmp_path: Path) -> None:
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
