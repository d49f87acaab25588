"""The audit signing key: re-checked on every load (a key others can read lets them forge
records), and shared when two daemons create it at the same moment."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from privsplit.edge.audit import AuditLog
from privsplit.edge.audit.keys import (
    KEY_FILE,
    PUBLIC_KEY_FILE,
    fingerprint,
    load_or_create_signing_key,
    load_public_key,
)
from privsplit.shared.errors import ConfigError

RACER = r"""
import sys, time
from pathlib import Path
from privsplit.edge.audit.keys import fingerprint, load_or_create_signing_key
root, count = Path(sys.argv[1]), int(sys.argv[2])
print("ready", flush=True)
while not (root / "go").exists():
    time.sleep(0.001)
for i in range(count):
    (root / f"a{i}").mkdir(mode=0o700, exist_ok=True)  # as AuditLog.open does
    key = load_or_create_signing_key(root / f"a{i}")
    print(i, fingerprint(key.public_key()), flush=True)
"""


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o600 | 0o020])
def test_signing_key_open_to_group_or_others_is_refused_on_load(tmp_path: Path, mode: int) -> None:
    AuditLog(directory=tmp_path).open()  # first start: key made 0600
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    AuditLog(directory=tmp_path).open()  # and loads again
    (tmp_path / KEY_FILE).chmod(mode)
    with pytest.raises(ConfigError, match="audit signing key .* readable by other users"):
        AuditLog(directory=tmp_path).open()
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_signing_key(tmp_path)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_signing_key_of_another_user_is_refused(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path)
    os.chown(tmp_path / KEY_FILE, 65534, 65534)
    with pytest.raises(ConfigError, match="belongs to uid 65534"):
        load_or_create_signing_key(tmp_path)


def test_daemons_starting_together_share_one_signing_key(tmp_path: Path) -> None:
    count = 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(tmp_path), str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().startswith("ready"), p.stderr.read()
    time.sleep(0.05)
    (tmp_path / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
        results.append(dict(line.split() for line in out.splitlines()))
    for i in range(count):
        prints = {r[str(i)] for r in results}
        assert len(prints) == 1, f"directory {i}: {len(prints)} different keys"
        public = load_public_key(tmp_path / f"a{i}" / PUBLIC_KEY_FILE)
        assert fingerprint(public) in prints  # the published half is the winner's


def test_a_new_key_replaces_a_stale_public_half(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path)
    (tmp_path / KEY_FILE).unlink()  # the operator rotates the key
    second = load_or_create_signing_key(tmp_path)
    public = load_public_key(tmp_path / PUBLIC_KEY_FILE)
    assert fingerprint(public) == fingerprint(second.public_key())
    assert fingerprint(public) != fingerprint(first.public_key())
