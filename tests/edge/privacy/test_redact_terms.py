"""``privsplit redact`` hides what the pipeline hides: detectors + the rare-term pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.engine import PrivacyEngine, term_spans
from privsplit.edge.privacy.spans import Span

REPO = Path(__file__).resolve().parents[3]
TEXT = "Our team at Zorblatix moved to Kowloon. Ask zorblatix support, phone +1-984-182-0190."


def test_term_pass_runs_on_what_the_detectors_left_and_hides_every_mention() -> None:
    phone_start = TEXT.index("+1")
    detected = [Span(phone_start, phone_start + 15, "PHONE_NUMBER", 0.9, "patterns")]
    found = term_spans(TEXT, detected, create_detector("terms"))
    values = {TEXT[s.start : s.end] for s in found}
    assert {"Zorblatix", "zorblatix"} <= values  # the second mention, in another case
    assert all(s.end <= phone_start or s.start >= phone_start + 15 for s in found)


def test_engine_with_terms_adds_hiding_never_removes_it() -> None:
    patterns = create_detector("patterns")
    plain = PrivacyEngine(detectors=[patterns]).detect(TEXT)
    with_terms = PrivacyEngine(detectors=[patterns], terms=create_detector("terms")).detect(TEXT)
    covered = {i for s in with_terms for i in range(s.start, s.end)}
    assert all(i in covered for s in plain for i in range(s.start, s.end))
    assert any(TEXT[s.start : s.end] == "Zorblatix" for s in with_terms)


def _redact(*flags: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "privsplit.cli.main", "redact", "--detectors", "patterns", *flags],
        input=json.dumps({"id": "1", "text": TEXT}) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_redact_cli_applies_the_term_pass_by_default_and_no_terms_turns_it_off() -> None:
    default = _redact()
    assert "Zorblatix" not in default["redacted_text"]
    assert "zorblatix" not in default["redacted_text"]
    assert "+1-984" not in default["redacted_text"]
    off = _redact("--no-terms")
    assert "Zorblatix" in off["redacted_text"] and "+1-984" not in off["redacted_text"]
