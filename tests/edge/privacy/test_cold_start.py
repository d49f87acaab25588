"""Cold start: the redact path loads spaCy and Presidio without importing torch or
transformers (installed here with the convert extra), and leaves them importable after."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from privsplit.edge.privacy.detectors.lean_import import lean_imports

CHILD = """
import sys
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.settings import PrivacySettings
engine = build_engine(PrivacySettings(), terms=True)
spans = engine.detect("Bonjour, je suis Jean Dupont et j'habite à Lyon. Ana Ruiz, +1 555 123 4567.")
assert spans, "nothing found"
heavy = sorted(m for m in ("torch", "transformers", "tensorflow") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_the_redact_path_never_imports_torch_or_transformers() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    assert "HEAVY=\n" in out


def test_lean_imports_hides_only_inside_the_block() -> None:
    name = "tensorflow"  # never imported by the suite; installed or not, it must not load
    if name in sys.modules:
        pytest.skip(f"{name} already imported")
    with lean_imports():
        with pytest.raises(ImportError):
            __import__(name)
    assert name not in sys.modules  # the block leaves nothing behind
