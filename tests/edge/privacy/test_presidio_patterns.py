"""Presidio's predefined pattern recognizers and Presidio-format YAML, without its NLP engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.shared.errors import ConfigError

pytest.importorskip("presidio_analyzer")

PRESIDIO_YAML = """\
recognizers:
  - name: "Employee badge recognizer"
    supported_language: "en"
    supported_entity: "EMPLOYEE_BADGE"
    patterns:
      - name: "badge"
        regex: "\\\\bEB-\\\\d{6}\\\\b"
        score: 0.4
    context: ["badge"]
"""

FOUND = [
    ("NHS number 401 023 2137 on the letter", "UK_NHS", "401 023 2137"),
    ("codice fiscale RSSMRA85T10A562S", "IT_FISCAL_CODE", "RSSMRA85T10A562S"),
    ("Aadhaar 4991 1866 5246 linked", "IN_AADHAAR", "4991 1866 5246"),
]


@pytest.mark.parametrize(("text", "entity", "value"), FOUND)
def test_predefined_recognizers_run_without_nlp(text: str, entity: str, value: str) -> None:
    spans = create_detector("presidio_patterns").detect(text)
    assert (entity, value) in {(s.entity_type, text[s.start : s.end]) for s in spans}


def test_presidio_yaml_loads_as_is_with_context(tmp_path: Path) -> None:
    path = tmp_path / "presidio.yaml"
    path.write_text(PRESIDIO_YAML)
    det = create_detector("presidio_patterns", entities=(), files=[path])
    with_cue = "my badge is EB-123456"
    without = "see EB-123456"
    assert [(s.entity_type, s.score) for s in det.detect(with_cue)] == [("EMPLOYEE_BADGE", 0.75)]
    assert [s.score for s in det.detect(without)] == [0.4]  # under the engine's threshold
    engine = build_engine(
        PrivacySettings(detectors=["presidio_patterns"], presidio_recognizer_files=[path])
    )
    assert [s.entity_type for s in engine.detect(with_cue)] == ["EMPLOYEE_BADGE"]


def test_bad_presidio_yaml_is_a_config_error_at_start(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("recognizers:\n  - name: x\n    patterns: 7\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        create_detector("presidio_patterns", files=[path])
    with pytest.raises(ConfigError, match="not found"):
        create_detector("presidio_patterns", files=[tmp_path / "missing.yaml"])
