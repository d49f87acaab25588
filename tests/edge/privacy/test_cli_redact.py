"""``privsplit redact`` as a real subprocess: contract, errors naming the line, flat memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
RSS_WRAPPER = (
    "import sys, resource\nfrom privsplit.cli.main import main\nsys.argv = ['privsplit', *sys.argv[1:]]\n"
    "try:\n    main()\nfinally:\n    print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
    " file=sys.stderr)\n"
)


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )


def test_redacts_jsonl_with_offsets_into_the_input(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    records = [
        {"id": "1", "text": "Call Ana Ruiz at +1-984-182-0190 or ana@example.org"},
        {"id": "2", "text": "What are my options?"},
        {"id": "3", "text": "J'habite au [PERSON_1], SSN 219-09-9999"},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    out = tmp_path / "out.jsonl"
    proc = _run(["redact", "--input", str(src), "--output", str(out)])
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["1", "2", "3"]
    first = lines[0]
    assert "Ana" not in first["redacted_text"] and "ana@" not in first["redacted_text"]
    for span in first["spans"]:
        assert set(span) == {"start", "end", "entity_type", "score"}
        assert records[0]["text"][span["start"] : span["end"]].strip()
    assert {"PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS"} <= {s["entity_type"] for s in first["spans"]}
    assert lines[1] == {"id": "2", "redacted_text": "What are my options?", "spans": []}
    assert "[\u2060PERSON_1]" in lines[2]["redacted_text"]


def test_stdin_to_stdout_and_detector_choice() -> None:
    proc = _run(
        ["redact", "--detectors", "patterns", "--no-llm"],
        stdin='{"id": "a", "text": "John Smith, SSN 219-09-9999"}\n',
    )
    assert proc.returncode == 0, proc.stderr
    line = json.loads(proc.stdout)
    assert line["redacted_text"] == "John Smith, SSN [US_SSN_1]"


@pytest.mark.parametrize(
    "bad,message",
    [
        ('{"id": "a", "text": "x"}\nnot json\n', "line 2: not valid JSON"),
        ('{"id": "a"}\n', "line 1: missing field(s) text"),
        ('{"id": 5, "text": "x"}\n', "line 1: 'id' and 'text' must be strings"),
        ('["id", "text"]\n', "line 1: expected a JSON object"),
        ('{"id": "a", "text": "x", "extra": 1}\n', "line 1: unknown field(s) extra"),
    ],
)
def test_bad_lines_are_named_and_no_partial_file_is_left(
    tmp_path: Path, bad: str, message: str
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(bad)
    proc = _run(["redact", "--detectors", "patterns", "-i", str(src), "-o", str(out)])
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_unknown_detector_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    proc = _run(["redact", "--detectors", "nope", "-i", str(tmp_path / "x.jsonl")])
    assert proc.returncode == 2 and "unknown detector 'nope'" in proc.stderr
    proc = _run(["redact", "--detectors", "patterns", "-i", str(tmp_path / "x.jsonl")])
    assert proc.returncode == 2 and "input file not found" in proc.stderr


def _max_rss_kb(proc: subprocess.CompletedProcess) -> int:
    return int(
        next(line.split()[1] for line in proc.stderr.splitlines() if line.startswith("MAXRSS_KB"))
    )


def test_memory_stays_flat_as_input_grows(tmp_path: Path) -> None:
    line = (
        json.dumps(
            {"id": "x", "text": "Mr. Ana Ruiz lives at 12 Main Street, card 4111 1111 1111 1111."}
        )
        + "\n"
    )
    rss = {}
    for n in (1_000, 20_000):
        src, out = tmp_path / f"in{n}.jsonl", tmp_path / f"out{n}.jsonl"
        src.write_text(line * n)
        proc = _run(
            ["redact", "--detectors", "patterns,address,names", "-i", str(src), "-o", str(out)]
        )
        assert proc.returncode == 0, proc.stderr
        assert sum(1 for _ in out.open()) == n
        rss[n] = _max_rss_kb(proc)
    assert rss[20_000] < rss[1_000] * 1.15 + 4096, rss
