"""The vault key: private on every load, and two daemons creating it at once share one key.

The race is played by real processes: each imports the key loader, waits for a start signal,
then loads-or-creates the same fresh key files in the same order as the others.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from privsplit.edge.daemon.vaults import load_or_create_key
from privsplit.shared.errors import ConfigError

RACER = r"""
import os, sys, time
from pathlib import Path
from privsplit.edge.daemon.vaults import load_or_create_key
root, count = Path(sys.argv[1]), int(sys.argv[2])
print("ready", flush=True)
while not (root / "go").exists():
    time.sleep(0.001)
for i in range(count):
    print(i, load_or_create_key(root / f"k{i}" / "vault.key").hex(), flush=True)
"""


def race(root: Path, *, racers: int, paths: int) -> list[dict[int, str]]:
    """Start ``racers`` processes, release them together, return each one's keys by path."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(root), str(paths)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(racers)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().startswith("ready"), p.stderr.read()
    time.sleep(0.05)
    (root / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]  # no racer crashed (FileExistsError, short read)
        results.append({int(i): key for i, key in (line.split() for line in out.splitlines())})
    return results


def test_daemons_starting_together_share_one_vault_key(tmp_path: Path) -> None:
    results = race(tmp_path, racers=6, paths=40)
    for i in range(40):
        keys = {r[i] for r in results}
        assert len(keys) == 1, f"path {i}: {len(keys)} different keys"
        path = tmp_path / f"k{i}" / "vault.key"
        assert path.read_bytes().hex() in keys
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    leftovers = [p.name for p in tmp_path.glob("k*/*") if p.name != "vault.key"]
    assert leftovers == []  # the temporary files of the losers are gone


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o660])
def test_vault_key_open_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k" / "vault.key"
    load_or_create_key(path)
    path.chmod(mode)
    with pytest.raises(ConfigError, match="readable by other users.*chmod 600"):
        load_or_create_key(path)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_vault_key_of_another_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k" / "vault.key"
    load_or_create_key(path)
    os.chown(path, 65534, 65534)  # e.g. planted by someone who knows its bytes
    with pytest.raises(ConfigError, match="belongs to uid 65534"):
        load_or_create_key(path)
