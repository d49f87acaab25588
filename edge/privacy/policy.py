"""What to do with each entity type: pseudonymize, mask, block or allow.

Loaded from YAML and validated strictly (unknown keys are errors). Example::

    default_action: pseudonymize
    min_score: 0.5
    entities:
      AGE: allow
      US_SSN: mask
      PRIVATE_KEY: block
    allow_list: ["Acme Support"]          # never redacted (case-insensitive, whole value)
    deny_list:                            # always redacted
      - {value: "Project Falcon", entity_type: PROJECT}
      - {regex: "INC-\\\\d{6}", entity_type: TICKET}

The policy is the one source of what counts as private: the privacy engine (on the way in)
and the egress guard (on the way out) both ask ``counts`` (threshold and allow list) and
``deny_spans`` (deny list), so the guard can never be laxer than the policy that redacted.
"""

from __future__ import annotations

import enum
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from privsplit.edge.privacy.spans import Span
from privsplit.edge.privacy.vault import normalize
from privsplit.shared.errors import ConfigError
from privsplit.shared.settings import load_yaml_mapping


class Action(str, enum.Enum):
    PSEUDONYMIZE = "pseudonymize"  # [PERSON_1], restored in the answer
    MASK = "mask"  # [PERSON], never restored
    BLOCK = "block"  # refuse the whole request
    ALLOW = "allow"  # leave the text as it is


# Safe Harbor: an age under 90 identifies no one and clinical questions need it; ages of 90
# and over are detected as AGE_90_PLUS and pseudonymized (the default action).
DEFAULT_ENTITY_ACTIONS: dict[str, Action] = {
    "AGE": Action.ALLOW,
    "PRIVATE_KEY": Action.BLOCK,
}


class DenyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str | None = Field(default=None, min_length=1)
    regex: str | None = Field(default=None, min_length=1)
    entity_type: str = Field(default="DENY_LIST", pattern=r"^[A-Z][A-Z0-9_]*[A-Z]$")

    @model_validator(mode="after")
    def _one_of(self) -> DenyEntry:
        if (self.value is None) == (self.regex is None):
            raise ValueError("a deny_list entry needs exactly one of 'value' or 'regex'")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"invalid regex: {exc}") from None
        return self


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_action: Action = Action.PSEUDONYMIZE
    min_score: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Spans scoring lower are ignored, by the engine and the egress guard alike.",
    )
    entities: dict[str, Action] = Field(default_factory=lambda: dict(DEFAULT_ENTITY_ACTIONS))
    allow_list: list[str] = Field(default_factory=list)
    deny_list: list[DenyEntry] = Field(default_factory=list)
    reid_budget_bits: float | None = Field(
        default=26.0,
        ge=0,
        description="Bits of quasi-identifiers (age, place, profession...) one conversation may "
        "send about a person (docs/reid.md); 26 keeps k >= 50 of 8e9 people with 1 bit of margin. null: no budget.",
    )
    reid_over_budget: Literal["hide", "block"] = Field(
        default="hide",
        description="After generalizing: hide what is still over the budget, or block the request.",
    )

    @field_validator("entities")
    @classmethod
    def _types(cls, value: dict[str, Action]) -> dict[str, Action]:
        for name in value:
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*[A-Z]", name):
                raise ValueError(f"entity type '{name}' must be UPPER_SNAKE_CASE")
        return value

    def action_for(self, entity_type: str) -> Action:
        return self.entities.get(entity_type, self.default_action)

    @cached_property
    def _allowed(self) -> frozenset[str]:
        return frozenset(normalize(v) for v in self.allow_list)

    @cached_property
    def _deny(self) -> list[tuple[re.Pattern[str], str]]:
        return [
            (
                re.compile(re.escape(d.value), re.IGNORECASE) if d.value else re.compile(d.regex),
                d.entity_type,
            )
            for d in self.deny_list
            if d.value or d.regex
        ]

    def counts(self, span: Span, text: str) -> bool:
        """Whether a detected span of ``text`` counts as private: it scores at least
        ``min_score`` and its value is not on the allow list."""
        return span.score >= self.min_score and not self.allowed(text[span.start : span.end])

    def allowed(self, value: str) -> bool:
        return normalize(value) in self._allowed

    def deny_spans(self, text: str) -> list[Span]:
        """Every match of the deny list in ``text`` (score 1.0, detector ``deny_list``)."""
        return [
            Span(m.start(), m.end(), entity_type, 1.0, "deny_list")
            for rx, entity_type in self._deny
            for m in rx.finditer(text)
            if m.end() > m.start()
        ]

    @classmethod
    def from_yaml(cls, path: Path) -> Policy:
        data = load_yaml_mapping(path, what="policy")
        merged = {
            "entities": {
                **{k: v.value for k, v in DEFAULT_ENTITY_ACTIONS.items()},
                **(data.get("entities") or {}),
            }
        }
        try:
            return cls.model_validate({**data, **merged})
        except ValidationError as exc:
            parts = []
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "<root>"
                kind = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
                parts.append(f"'{where}': {kind}")
            raise ConfigError(f"policy file {path}: " + "; ".join(parts)) from None
