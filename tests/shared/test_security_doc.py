"""docs/security.md names the test behind each guarantee: every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "security.md"
# `tests/a/b.py::test_x` names a file and a test; a following `::test_y` is in the same file
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)`|`(tests/[\w/]+\.py)`")


def _references() -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    current: str | None = None
    for match in REFERENCE.finditer(DOC.read_text()):
        path, name, bare = match.groups()
        if bare:
            found.append((bare, None))
            continue
        current = path or current
        assert current, f"::{name} comes before any test file in {DOC.name}"
        found.append((current, name))
    return found


def test_every_named_test_exists() -> None:
    references = _references()
    assert len(references) > 30  # the doc names its proofs; a parsing slip must not pass silently
    missing = []
    for path, name in references:
        source = REPO / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
