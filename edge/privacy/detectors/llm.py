"""Contextual detection by the local model: quasi-identifiers patterns cannot see.

Optional and off by default (``PrivacySettings.llm`` / ``privsplit redact --llm``). Two
modes (``PrivacySettings.llm_mode``):

- ``fast`` (the default, ``llm_fast.py``): the engine hands the detector what the other
  detectors found (``reads_found``); only sentences where something name-like is left are
  read, already-found spans masked, several texts per call after a cached prefix, and the
  answer is a short JSON list of strings. The same span and failure contract as below.
- ``full``: every chunk of every text is read whole and the model answers typed items.

In ``full`` mode the model reads the text in chunks of at most ``max_chars`` characters and answers, under a JSON
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
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from privsplit.edge.privacy.detectors import language, llm_fast
from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span
from privsplit.shared.errors import ConfigError, ModelOutputInvalid
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams, Message

log = get_logger(__name__)
T = TypeVar("T")
ON_BAD_OUTPUT = ("closed", "best_effort")
MODES = ("fast", "full")
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
    reads_found = True  # the engine runs it last and passes what the others found

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
        mode: str = "fast",
        batch_chars: int = 600,
        threads: int | None = None,
    ) -> None:
        if on_bad_output not in ON_BAD_OUTPUT:
            raise ConfigError(
                f"unknown on_bad_output '{on_bad_output}'; valid: {', '.join(ON_BAD_OUTPUT)}"
            )
        if mode not in MODES:
            raise ConfigError(f"unknown llm mode '{mode}'; valid: {', '.join(MODES)}")
        if runtime is None:
            if not model:
                raise ValueError("the llm detector needs a model path (or a runtime)")
            from privsplit.edge.runtime import create_runtime

            # ``threads``: llama.cpp threads for generation and prompt evaluation alike
            extra = {"n_threads": threads, "n_threads_batch": threads} if threads else {}
            runtime = create_runtime(runtime_name, model_path=Path(model), **extra)
        self.runtime = runtime
        self.max_chars = max_chars
        self.params = GenerationParams(max_tokens=max_tokens, temperature=0.0, seed=7)
        self.score = score
        self.on_bad_output = on_bad_output
        self.mode = mode
        self.batch_chars = batch_chars
        self.calls = 0  # model calls made (benchmarks read it)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.runtime.close()

    def detect(self, text: str) -> list[Span]:
        if self.mode == "fast":
            return self.detect_remaining([text], [[]])[0]
        spans: list[Span] = []
        for offset, chunk in _chunks(text, self.max_chars):
            if not any(c.isalpha() for c in chunk):
                continue
            spans.extend(
                Span(offset + s.start, offset + s.end, s.entity_type, s.score, s.detector)
                for s in self._ask(chunk)
            )
        return spans

    def detect_remaining(
        self, texts: Sequence[str], found: Sequence[Sequence[Span]]
    ) -> list[list[Span]]:
        """Spans per text, given what the other detectors ``found`` in each (fast mode reads
        only what they left; full mode reads everything)."""
        if self.mode == "full":
            return [self.detect(t) for t in texts]
        segs = [
            seg
            for i, (text, spans) in enumerate(zip(texts, found))
            for seg in llm_fast.segments(
                text,
                spans,
                i,
                language.text_language(text) if language.is_available() else None,
                self.max_chars,
            )
        ]
        out: list[list[Span]] = [[] for _ in texts]
        for batch in llm_fast.batches(segs, self.batch_chars):
            values = self._ask_fast(llm_fast.prompt(batch))
            for index, span in llm_fast.locate(values, texts, batch, self.score, self.name):
                out[index].append(span)
        log.debug("llm_fast", texts=len(texts), sentences=len(segs), calls=self.calls)
        return out

    def _ask_fast(self, prompt: str) -> list[str]:
        """The answer's strings: first unconstrained, then once under the JSON schema with
        twice the budget; then the ``on_bad_output`` rule."""
        budget = min(self.params.max_tokens, 24 + len(prompt) // 10)
        messages = [Message("system", llm_fast.SYSTEM)]
        for example, answer in llm_fast.EXAMPLES:
            messages += [Message("user", example), Message("assistant", json.dumps(answer))]
        messages.append(Message("user", prompt))
        params = replace(self.params, max_tokens=budget)
        return self._ask_twice(messages, params, (None, llm_fast.SCHEMA), llm_fast.parse, prompt)

    def _ask(self, chunk: str) -> list[Span]:
        """Spans of one chunk; an unreadable answer is asked again once (twice the budget)."""
        messages = [
            Message("system", SYSTEM),
            Message("user", EXAMPLE_IN),
            Message("assistant", EXAMPLE_OUT),
            Message("user", chunk),
        ]
        return self._ask_twice(
            messages, self.params, (SCHEMA, SCHEMA), lambda r: self._parse(chunk, r), chunk
        )

    def _ask_twice(
        self,
        messages: list[Message],
        params: GenerationParams,
        schemas: tuple[dict[str, Any] | None, dict[str, Any] | None],
        parse: Callable[[str], list[T]],
        text: str,
    ) -> list[T]:
        """``parse`` of the model's answer; an unreadable one is asked again under the second
        schema with twice the token budget, then the ``on_bad_output`` rule decides: refuse
        (closed) or skip ``text`` with a warning (best_effort)."""
        for attempt, schema in enumerate(schemas, 1):
            with self._lock:
                self.calls += 1
                reply = self.runtime.chat(messages, params, json_schema=schema)
            try:
                return parse(reply)
            except ModelOutputInvalid:
                log.warning("llm_answer_unreadable", attempt=attempt, chars=len(reply))
                params = replace(params, max_tokens=params.max_tokens * 2)
        if self.on_bad_output == "closed":
            raise ModelOutputInvalid(
                "the contextual detector's answer could not be read, twice; nothing was sent "
                "(pipeline.model_output_failure=closed)"
            )
        log.warning("llm_chunk_skipped", chars=len(text), mode="best_effort")
        return []

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        return self.detect_remaining(texts, [[] for _ in texts])

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
