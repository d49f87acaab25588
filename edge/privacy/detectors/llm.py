"""Contextual detection by the local model: quasi-identifiers patterns cannot see.

Optional and off by default (``PrivacySettings.llm`` / ``privsplit redact --llm``). The
model reads the text in chunks of at most ``max_chars`` characters and answers, under a JSON
schema (llama.cpp grammar), with the exact substrings that could identify someone: names,
employers, places, job titles, rare conditions, unique events. Each answer is mapped back
to offsets by searching the chunk; anything the model invents that is not in the text is
ignored. It uses only the ``LocalModel`` interface, so any runtime in the registry works.

An answer that is not the schema's shape (not JSON, cut off by the token budget, no
``items`` list) is a failure, never a partial success: the chunk is asked again once with
twice the token budget, then ``ModelOutputInvalid`` is raised (``on_bad_output="closed"``,
the default: the request is refused) or the chunk is skipped with a warning
(``"best_effort"``; ``pipeline.model_output_failure`` sets it for the daemon).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span
from privsplit.shared.errors import ConfigError, ModelOutputInvalid
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams, Message

log = get_logger(__name__)
ON_BAD_OUTPUT = ("closed", "best_effort")
TYPES = {
    "PERSON": "PERSON",
    "ORGANIZATION": "ORGANIZATION",
    "LOCATION": "LOCATION",
    "ADDRESS": "STREET_ADDRESS",
    "JOB_TITLE": "TITLE",
    "DATE": "DATE_TIME",
    "AGE": "AGE",
    "MEDICAL": "MEDICAL_CONDITION",
    "ID_NUMBER": "ID_NUMBER",
    "OTHER": "QUASI_IDENTIFIER",
}
SCHEMA = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "maxItems": 24,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": 120},
                    "type": {"type": "string", "enum": sorted(TYPES)},
                },
                "required": ["text", "type"],
            },
        }
    },
    "required": ["items"],
}
SYSTEM = (
    "You find private information in text. List every exact piece of the text that could "
    "identify a real person: names of people, organizations and employers, places and "
    "addresses, job titles, specific dates, ages, rare medical conditions, ID numbers, and "
    "unique events. Copy each piece exactly as it appears. Do not list common words. "
    'Answer only with JSON: {"items": [{"text": "...", "type": "PERSON"}]}.'
)

EXAMPLE_IN = (
    "Dr. Maria Gonzalez, a nurse at St. Olaf Clinic in Bergen, was diagnosed with Gaucher "
    "disease after the 2019 ferry fire."
)
EXAMPLE_OUT = json.dumps(
    {
        "items": [
            {"text": "Maria Gonzalez", "type": "PERSON"},
            {"text": "nurse", "type": "JOB_TITLE"},
            {"text": "St. Olaf Clinic", "type": "ORGANIZATION"},
            {"text": "Bergen", "type": "LOCATION"},
            {"text": "Gaucher disease", "type": "MEDICAL"},
            {"text": "2019 ferry fire", "type": "OTHER"},
        ]
    }
)


def _pattern(value: str) -> str:
    """Words of the answer with any spacing or punctuation between them ("Ana B. Ruiz" finds
    "ana b ruiz"): small models normalise what they copy."""
    words = re.findall(r"\w+", value.casefold())
    return r"(?<!\w)" + r"[\W_]{0,3}".join(re.escape(w) for w in words) + r"(?!\w)"


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def plausible(value: str, entity: str, chunk: str) -> bool:
    """Small models also list common words and whole sentences; keep what can identify."""
    words = value.split()
    if not 1 <= len(words) <= 6:
        return False
    has_upper_or_digit = any(c.isupper() or c.isdigit() for c in value)
    if not has_upper_or_digit and any(c.isupper() for c in chunk):
        return False  # a lowercase word in cased text is not a name (all-lowercase text may be)
    if entity == "DATE_TIME":
        return any(c.isdigit() for c in value) or value.casefold().startswith(MONTHS)
    return True


def _chunks(text: str, max_chars: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + max_chars)
        if end < len(text):
            cut = text.rfind(" ", pos + max_chars // 2, end)
            end = cut if cut > pos else end
        out.append((pos, text[pos:end]))
        pos = end
    return out


@register_detector
class LlmDetector(Detector):
    """Quasi-identifiers flagged by the local LLM (runs only when asked for)."""

    name = "llm"

    def __init__(
        self,
        *,
        model: Path | str | None = None,
        runtime=None,
        runtime_name: str = "llamacpp",
        max_chars: int = 2000,
        max_tokens: int = 192,
        score: float = 0.7,
        on_bad_output: str = "closed",
    ) -> None:
        if on_bad_output not in ON_BAD_OUTPUT:
            raise ConfigError(
                f"unknown on_bad_output '{on_bad_output}'; valid: {', '.join(ON_BAD_OUTPUT)}"
            )
        if runtime is None:
            if not model:
                raise ValueError("the llm detector needs a model path (or a runtime)")
            from privsplit.edge.runtime import create_runtime

            runtime = create_runtime(runtime_name, model_path=Path(model))
        self.runtime = runtime
        self.max_chars = max_chars
        self.params = GenerationParams(max_tokens=max_tokens, temperature=0.0, seed=7)
        self.score = score
        self.on_bad_output = on_bad_output
        self._lock = threading.Lock()

    def close(self) -> None:
        self.runtime.close()

    def detect(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for offset, chunk in _chunks(text, self.max_chars):
            if not any(c.isalpha() for c in chunk):
                continue
            spans.extend(
                Span(offset + s.start, offset + s.end, s.entity_type, s.score, s.detector)
                for s in self._ask(chunk)
            )
        return spans

    def _ask(self, chunk: str) -> list[Span]:
        """Spans of one chunk; an unreadable answer is asked again once (twice the budget)."""
        params = self.params
        for attempt in (1, 2):
            with self._lock:
                reply = self.runtime.chat(
                    [
                        Message("system", SYSTEM),
                        Message("user", EXAMPLE_IN),
                        Message("assistant", EXAMPLE_OUT),
                        Message("user", chunk),
                    ],
                    params,
                    json_schema=SCHEMA,
                )
            try:
                return self._parse(chunk, reply)
            except ModelOutputInvalid:
                log.warning("llm_answer_unreadable", attempt=attempt, chars=len(reply))
                params = replace(params, max_tokens=params.max_tokens * 2)
        if self.on_bad_output == "closed":
            raise ModelOutputInvalid(
                "the contextual detector's answer could not be read, twice; nothing was sent "
                "(pipeline.model_output_failure=closed)"
            )
        log.warning("llm_chunk_skipped", chars=len(chunk), mode="best_effort")
        return []

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        return [self.detect(t) for t in texts]

    def _parse(self, chunk: str, reply: str) -> list[Span]:
        """Spans of the answer's items; ``ModelOutputInvalid`` when the answer is not the
        schema's shape (a truncated answer is not a partial success: its lost items may be
        exactly the private ones)."""
        try:
            data = json.loads(reply, strict=False)  # a raw line break in a string is readable
        except (json.JSONDecodeError, ValueError):
            raise ModelOutputInvalid(
                "the contextual detector's answer is not complete JSON"
            ) from None
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ModelOutputInvalid("the contextual detector's answer has the wrong shape")
        out: list[Span] = []
        lowered = chunk.casefold() if len(chunk.casefold()) == len(chunk) else chunk
        for item in items:
            value = str(item.get("text", "")).strip()
            entity = TYPES.get(str(item.get("type", "")), "QUASI_IDENTIFIER") if value else ""
            if (
                len(value) < 2
                or len(value) > len(chunk) // 2 + 2
                or not any(c.isalnum() for c in value)
            ):
                continue
            if not re.search(r"\w", value) or not plausible(value, entity, chunk):
                continue
            for m in re.finditer(_pattern(value), lowered):
                out.append(Span(m.start(), m.end(), entity, self.score, self.name))
        log.debug("llm_detected", items=len(items), spans=len(out))
        return out
