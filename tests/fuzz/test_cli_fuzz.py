"""Fuzzing the JSONL CLIs (``privsplit redact --input``, ``privsplit plan --input``).

Their readers are fuzzed in process over arbitrary lines and bytes: a record or a typed
``InvalidRequest`` that names the line, nothing else. Then the real commands run on files
with invalid UTF-8, JSON nested 100,000 deep and a huge line: a bad line stops the run with
one ``error: ... line N`` and exit code 2 (no traceback, no partial output file, per the
commands' contract), a huge but valid line is processed whole.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privsplit.cli.redact import _records
from privsplit.edge.pipeline.requests import parse_line, read_requests
from privsplit.shared.errors import InvalidRequest
from tests.fuzz.conftest import fuzz, hostile_text

json_lines = st.one_of(
    hostile_text,
    st.builds(
        json.dumps,
        st.fixed_dictionaries(
            {},
            optional={
                "id": hostile_text | st.integers() | st.none(),
                "text": hostile_text | st.lists(st.text(max_size=3)),
                "documents": st.lists(hostile_text, max_size=2) | hostile_text,
                "extra": st.booleans(),
            },
        ),
    ),
    st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 5000).map(lambda n: '{"a":' * n + "0" + "}" * n),
)


@fuzz(300)
@given(json_lines)
def test_plan_reader_gives_a_request_or_a_typed_error(line: str) -> None:
    try:
        request = parse_line(line, line=7)
    except InvalidRequest as exc:
        assert "line 7" in exc.message
        return
    assert isinstance(request.id, str) and isinstance(request.text, str) and request.text.strip()


@fuzz(300)
@given(st.lists(json_lines.map(str.encode) | st.binary(max_size=40), min_size=1, max_size=5))
def test_redact_reader_gives_records_or_a_typed_error(lines: list[bytes]) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    seen = 0
    try:
        for number, rid, text in _records(io.BytesIO(data)):
            assert isinstance(rid, str) and isinstance(text, str) and number >= 1
            seen += 1
    except InvalidRequest as exc:
        assert exc.message.startswith("line ")


@fuzz(50)
@given(st.binary(max_size=200))
def test_plan_file_reader_on_arbitrary_bytes(tmp_path_factory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("plan") / "in.jsonl"
    path.write_bytes(raw)
    try:
        read_requests(path)
    except InvalidRequest:
        pass


GOOD = b'{"id": "ok", "text": "Call Maria Gonzalez at maria.gonzalez@example.org"}\n'
BAD_LINES = {
    "invalid-utf8": b'{"id": "b", "text": "caf\xe9 \xff"}\n',
    "deep-nesting": b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "wrong-types": b'{"id": 1, "text": ["x"]}\n',
    "raw-nul": b'{"id": "n", "text": "a\x00b"}\n',  # unescaped control characters: not JSON
}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", *args],
        capture_output=True,
        timeout=180,
        env={**os.environ, "PRIVSPLIT_EDGE_PIPELINE__MODE": "redact"},
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(BAD_LINES))
@pytest.mark.parametrize("command", ["redact", "plan"])
def test_cli_on_a_bad_line(tmp_path: Path, command: str, kind: str) -> None:
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(GOOD + BAD_LINES[kind] + GOOD.replace(b'"ok"', b'"ok2"'))
    if command == "redact":
        done = _run(
            "redact", "--detectors", "patterns", "--no-terms", "-i", str(source), "-o", str(out)
        )
    else:
        done = _run("plan", "--input", str(source), "--output", str(out))
    stderr = done.stderr.decode()
    assert b"Traceback" not in done.stderr + done.stdout
    assert done.returncode == 2, stderr
    assert "error:" in stderr and "line 2" in stderr
    assert not out.exists()  # no partial output: the good lines are not half-written


@pytest.mark.slow
def test_redact_cli_takes_a_huge_line_whole(tmp_path: Path) -> None:
    filler = "lorem ipsum dolor sit amet " * 20_000  # 540 kB on each side
    text = f"{filler}mail maria.gonzalez@example.org {filler}"
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "huge", "text": text}) + "\n" + GOOD.decode())
    done = _run(
        "redact", "--detectors", "patterns", "--no-terms", "-i", str(source), "-o", str(out)
    )
    assert done.returncode == 0, done.stderr.decode()[-500:]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["huge", "ok"]  # nothing lost
    assert "maria.gonzalez@example.org" not in records[0]["redacted_text"]
    assert len(records[0]["redacted_text"]) > len(text) - 100
