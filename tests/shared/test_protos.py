"""The committed stubs match the protos, and the protos pass buf lint."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_committed_stubs_match_protos() -> None:
    proc = subprocess.run(
        [sys.executable, "protos/generate.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_drift_is_detected(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "protos", copy / "protos")
    shutil.copytree(REPO / "shared" / "_gen", copy / "shared" / "_gen")
    proto = copy / "protos" / "privsplit" / "v1" / "common.proto"
    proto.write_text(
        proto.read_text().replace(
            "uint32 completion_tokens = 2;", "uint32 completion_tokens = 2;\n  uint32 extra = 3;"
        )
    )
    proc = subprocess.run(
        [sys.executable, "protos/generate.py", "--check"], cwd=copy, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "common_pb2.py" in proc.stdout


def test_buf_lint_passes() -> None:
    buf = Path(sys.executable).parent / "buf"
    if not buf.exists():
        pytest.fail("buf (buf-bin) is not installed in the environment")
    proc = subprocess.run([str(buf), "lint"], cwd=REPO / "protos", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
