"""docs/deploy.md as an operator follows it. Every ```bash block carries a marker: ``<!-- runnable
-->`` blocks run here, in order, in one bash session in a scratch directory (the test model in
place of the demo model, a free port in place of 50051, fresh XDG directories), and what they
produce is checked: certificates, a token whose digest is in tenants.json, a gateway that
answers health checks over mTLS, an edge daemon whose request leaves sanitized, and a CA
rotation after which old and new client certificates are both accepted and a foreign one is
not. ``<!-- not run: why -->`` blocks (cluster, root, GPU) are checked for the files and
``privsplit`` commands they name; the YAML blocks are validated (Kubernetes schema, the
gateway's strict settings).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from privsplit.cloud.settings import CloudSettings
from privsplit.shared.tls import init_pki
from tests.cloud.conftest import free_port
from tests.conftest import PERSON_SENT, REPO

DOC = REPO / "docs" / "deploy.md"
BLOCK = re.compile(r"(?:<!-- (runnable|not run: [^>]*) -->\n)?```(\w+)\n(.*?)```", re.S)
DEMO_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org")


def blocks() -> list[tuple[str | None, str, str]]:
    """(marker, language, body) of every fenced block, in order."""
    return [(m.group(1), m.group(2), m.group(3)) for m in BLOCK.finditer(DOC.read_text())]


def runnable() -> list[str]:
    return [body for marker, lang, body in blocks() if lang == "bash" and marker == "runnable"]


def test_every_bash_block_says_whether_it_runs() -> None:
    bash = [(marker, body) for marker, lang, body in blocks() if lang == "bash"]
    unmarked = [body.splitlines()[0] for marker, body in bash if marker is None]
    assert unmarked == [], f"mark these blocks runnable or 'not run: why': {unmarked}"
    assert len(runnable()) >= 4


def test_not_run_blocks_name_real_files_and_commands() -> None:
    ran = 0
    for marker, lang, body in blocks():
        if lang != "bash" or marker == "runnable":
            continue
        assert marker and len(marker) > len("not run: ") + 10, marker  # says why
        for path in re.findall(r"\bdeploy/[\w./-]+", body):
            assert (REPO / path).exists(), path
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line.split("#")[0]) if line.strip() else []
            if not words or not (words[0] == "privsplit" or words[0].endswith("/bin/privsplit")):
                continue
            sub = [w for w in words[1:3] if not w.startswith("-")]
            proc = subprocess.run(
                [sys.executable, "-m", "privsplit.cli.main", *sub, "--help"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert proc.returncode == 0, (line, proc.stderr)
            ran += 1
    assert ran >= 1


def test_yaml_blocks_are_valid(tmp_path: Path) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    checked = 0
    for _marker, lang, body in blocks():
        if lang != "yaml":
            continue
        doc = yaml.safe_load(body)
        if "kind" in doc:
            kv.validate(doc, "1.33.0", strict=True)
        else:  # a cloud.yaml fragment: completed with TLS files and a tenant, it must load
            full = {
                **doc,
                "tls_cert": "/etc/privsplit/tls/server.pem",
                "tls_key": "/etc/privsplit/tls/server.key",
                "tls_client_ca": "/etc/privsplit/tls/ca.pem",
                "tenants": [{"name": "acme", "token_sha256": "a" * 64}],
            }
            path = tmp_path / "cloud.yaml"
            path.write_text(yaml.safe_dump(full))
            CloudSettings.load(path)
        checked += 1
    assert checked >= 2


@pytest.mark.slow
def test_runnable_blocks_work_as_written(tmp_path: Path, test_model_path: Path) -> None:
    port = free_port()
    script = "set -e\n" + "\n".join(runnable())
    script = script.replace("50051", str(port)).replace(DEMO_MODEL, str(test_model_path))
    work = tmp_path / "work"
    work.mkdir()
    xdg = {
        name: tmp_path / name.lower()
        for name in ("XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")
    }
    for path in xdg.values():
        path.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVSPLIT_", "XDG_"))}
    env.update({k: str(v) for k, v in xdg.items()})
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    # files, not pipes: the gateway and the daemon left running hold them open
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        proc = subprocess.Popen(
            ["bash", "-c", script],
            cwd=work,
            env=env,
            stdout=out_file,
            stderr=err_file,
            start_new_session=True,  # the gateway and the daemon it leaves running: one group
        )
    try:
        proc.wait(timeout=400)
        out, err = out_path.read_text(), err_path.read_text()
        assert proc.returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
        # certificates and the token
        assert {"ca.pem", "ca.key", "server.pem", "client-edge-alice.key"} <= {
            p.name for p in (work / "tls").iterdir()
        }
        assert oct((work / "acme.token").stat().st_mode & 0o777) == "0o600"
        token = (work / "acme.token").read_text().strip()
        (tenant,) = json.loads((work / "tenants.json").read_text())
        assert tenant["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
        # three health checks reported SERVING: the trial, and both CAs after the rotation
        assert out.count("SERVING") - out.count("NOT_SERVING") >= 3, out
        # the edge's request left sanitized (the name as its stand-in); the audit log shows it
        sent = [line for line in err.splitlines() if "sent to cloud" in line]
        assert sent and PERSON_SENT in sent[0], err[-2000:]
        assert not any(v in line for v in PRIVATE for line in sent)
        assert PERSON_SENT in out and token not in out + err
        # a client certificate from another CA is still refused by the rotated gateway
        rogue = init_pki(tmp_path / "rogue", server_names=["x"], clients=["probe"])
        health = [sys.executable, "-m", "privsplit.cli.main", "cloud", "health"]
        health += ["--address", f"127.0.0.1:{port}", "--server-name", "gateway.example.internal"]
        health += ["--tls-ca", str(work / "servers-ca.pem")]
        refused = subprocess.run(
            [*health, "--tls-cert", str(rogue.clients["probe"].cert)]
            + ["--tls-key", str(rogue.clients["probe"].key)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1, refused.stdout + refused.stderr
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group this test started (bash and what it left running), then
    wait for the gateway and the daemon to finish their graceful stop; SIGKILL after 30 s."""
    for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                proc.wait(5)
                return
            time.sleep(0.2)
    proc.wait(5)
