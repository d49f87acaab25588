"""CLI errors print one clear line (exit 2, no traceback), brackets and all."""

import subprocess
import sys


def test_error_message_keeps_brackets_and_has_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", "models", "pull", "model[extra]"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown model 'model[extra]'" in proc.stderr
    assert "Traceback" not in proc.stderr
