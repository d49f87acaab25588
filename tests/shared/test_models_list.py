"""``privsplit models list`` stays readable in a narrow terminal: names are never cut."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from privsplit.shared.models.registry import load_registry


def _list(models_dir: Path, columns: int) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", "models", "list"]
        + ["--models-dir", str(models_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": str(columns), "TERM": "dumb"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("columns", [80, 60])
def test_names_are_whole_in_a_narrow_terminal(tmp_path: Path, columns: int) -> None:
    out = _list(tmp_path, columns)
    table_lines = out.splitlines()
    for spec in load_registry().models:
        assert any(spec.name in line for line in table_lines), (spec.name, out)
    assert "…" not in out.split("disk usage")[0].replace(str(tmp_path), "")
    assert max(len(line) for line in table_lines if "disk usage" not in line) <= columns
    assert "left out to fit" in out  # what is not shown is said, with where to find it


def test_wide_terminal_shows_every_column(tmp_path: Path) -> None:
    out = _list(tmp_path, 200)
    header = next(line for line in out.splitlines() if "name" in line and "role" in line)
    for column in ("runtime", "size", "pulled", "onnx", "license"):
        assert column in header
    assert "left out" not in out
