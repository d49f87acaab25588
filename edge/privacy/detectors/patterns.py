"""Declarative pattern recognizers: regex + context words + validator, loaded from YAML.

A recognizer is data, not code (see STYLE.md). The built-in set lives in
``recognizers.yaml`` next to this module; deployments add their own files with the same
schema (``PrivacySettings.recognizer_files``). Unknown keys are errors.

Scoring: each pattern has a base score; when one of the recognizer's context words occurs
within ``context_window`` characters before (or, less often, just after) the match, the
score is raised by ``context_boost``. Patterns that are only meaningful with context
(a bare 9-digit number as an SSN) get a base score under the engine's threshold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.validators import get_validator
from privsplit.edge.privacy.spans import Span
from privsplit.shared.errors import ConfigError
from privsplit.shared.settings import load_yaml_mapping

BUILTIN_FILE = Path(__file__).with_name("recognizers.yaml")


class PatternSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    regex: str = Field(description="Python regular expression.")
    score: float = Field(ge=0, le=1, description="Score of a match without context.")
    group: int | str = Field(default=0, description="Capture group that holds the value.")
    validator: str | None = Field(default=None, description="Validator name (see validators.py).")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex: {exc}") from None
        return value


class RecognizerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    entity_type: str = Field(pattern=r"^[A-Z][A-Z0-9_]*[A-Z]$")
    patterns: list[PatternSpec] = Field(min_length=1)
    context: list[str] = Field(default_factory=list, description="Words that raise the score.")
    context_boost: float = Field(default=0.35, ge=0, le=1)
    context_window: int = Field(default=48, ge=0, description="Characters searched before a match.")
    ignore_case: bool = False
    validator: str | None = Field(default=None, description="Applies to every pattern.")


class RecognizerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    recognizers: list[RecognizerSpec]


def load_recognizers(path: Path) -> list[RecognizerSpec]:
    data = load_yaml_mapping(path, what="recognizer")
    try:
        parsed = RecognizerFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"recognizer file {path}: '{where}': {first['msg']}") from None
    for spec in parsed.recognizers:
        for name in filter(None, [spec.validator, *(p.validator for p in spec.patterns)]):
            get_validator(name)
    return parsed.recognizers


class _Compiled:
    def __init__(self, spec: RecognizerSpec) -> None:
        flags = re.IGNORECASE if spec.ignore_case else 0
        self.spec = spec
        self.patterns = [(re.compile(p.regex, flags | re.MULTILINE), p) for p in spec.patterns]
        self.context = (
            re.compile(
                r"(?<![\w])(?:" + "|".join(re.escape(w) for w in spec.context) + r")(?![\w])",
                re.IGNORECASE,
            )
            if spec.context
            else None
        )

    def find(self, text: str, detector: str) -> list[Span]:
        out: list[Span] = []
        spec = self.spec
        for rx, pat in self.patterns:
            check = (
                get_validator(pat.validator or spec.validator)
                if (pat.validator or spec.validator)
                else None
            )
            for m in rx.finditer(text):
                start, end = m.span(pat.group)
                if start < 0 or end <= start:
                    continue
                value = text[start:end]
                if check is not None and not check(value):
                    continue
                score = pat.score
                if self.context is not None and score < 1.0:
                    window = (
                        text[max(0, start - spec.context_window) : start]
                        + " "
                        + text[end : end + 16]
                    )
                    if self.context.search(window):
                        score = min(1.0, score + spec.context_boost)
                out.append(Span(start, end, spec.entity_type, round(score, 4), detector))
        return out


@register_detector
class PatternDetector(Detector):
    """Regex, checksum and context recognizers for structured identifiers and secrets."""

    name = "patterns"
    structured = True

    def __init__(
        self,
        *,
        files: Sequence[Path] = (),
        include_builtin: bool = True,
        entities: Sequence[str] | None = None,
    ) -> None:
        specs: list[RecognizerSpec] = []
        if include_builtin:
            specs.extend(load_recognizers(BUILTIN_FILE))
        for path in files:
            specs.extend(load_recognizers(Path(path)))
        if entities is not None:
            wanted = set(entities)
            specs = [s for s in specs if s.entity_type in wanted]
        self.specs = specs

    @cached_property
    def _compiled(self) -> list[_Compiled]:
        return [_Compiled(s) for s in self.specs]

    @property
    def entity_types(self) -> set[str]:
        return {s.entity_type for s in self.specs}

    def detect(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for rec in self._compiled:
            spans.extend(rec.find(text, self.name))
        return spans
