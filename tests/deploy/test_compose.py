"""deploy/compose.yaml against the Compose specification schema (check-jsonschema's vendored
copy: ``check-jsonschema --builtin-schema vendor.compose-spec``), and what it promises: only
the gateway is published, the engine sits on an internal network, the files the gateway reads
are the ones its config names."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from privsplit.cloud.settings import CloudSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
CHECK = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
needs_check = pytest.mark.skipif(CHECK is None, reason="check-jsonschema is not installed (dev)")


def check(path: Path) -> subprocess.CompletedProcess[str]:
    assert CHECK is not None
    return subprocess.run(
        [CHECK, "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_check
def test_compose_matches_the_compose_specification() -> None:
    proc = check(COMPOSE)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_check
def test_schema_check_catches_a_wrong_key(tmp_path: Path) -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    compose["services"]["gateway"]["read_onyl"] = True
    bad = tmp_path / "compose.yaml"
    bad.write_text(yaml.safe_dump(compose))
    proc = check(bad)
    assert proc.returncode != 0 and "read_onyl" in proc.stdout + proc.stderr


def test_only_the_gateway_is_published_and_it_reads_its_config() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert [name for name, s in services.items() if "ports" in s] == ["gateway"]
    assert services["vllm"]["networks"] == ["internal"]
    assert compose["networks"]["internal"]["internal"] is True
    assert not services["vllm"]["image"].endswith(":latest")
    gateway = services["gateway"]
    assert gateway["read_only"] is True and gateway["cap_drop"] == ["ALL"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in gateway["volumes"]}
    config_source = DEPLOY / mounts["/etc/privsplit/cloud.yaml"]
    settings = CloudSettings.load(config_source)
    for file in (settings.tls_cert, settings.tls_key, settings.tls_client_ca):
        assert Path(file).parent == Path("/etc/privsplit/tls"), file
    assert "/etc/privsplit/tls" in mounts
    grace = int(gateway["stop_grace_period"].rstrip("s"))
    assert grace > settings.grace_seconds
