"""Start `privsplit edge serve` as a process for the benchmarks (redact mode, temp state)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class DaemonProcess:
    proc: subprocess.Popen
    socket_path: Path
    http_port: int
    root: Path

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def start_daemon(cloud_address: str, *, env: dict[str, str] | None = None) -> DaemonProcess:
    root = Path(tempfile.mkdtemp(prefix="psbench", dir="/tmp"))
    sock = root / "edge.sock"
    log_path = root / "daemon.log"
    full_env = {
        **os.environ,
        "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact",
        "PRIVSPLIT_EDGE_DAEMON__VAULT_KEY_FILE": str(root / "keys" / "vault.key"),
        **(env or {}),
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "privsplit.cli.main",
                "edge",
                "serve",
                "--insecure",
                "--cloud",
                cloud_address,
                "--socket",
                str(sock),
                "--http-port",
                "0",
                "--audit-dir",
                str(root / "audit"),
                "--state-dir",
                str(root / "state"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=REPO,
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log_path.read_text())
        for line in log_path.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "edge_listening":
                record = json.loads(line)
                return DaemonProcess(
                    proc=proc, socket_path=sock, http_port=record["port"], root=root
                )
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError(log_path.read_text())
