"""The detector-based redactor of the first slice, and a streaming restorer.

``provider.build_redactor`` decides which redactor the pipeline gets (the privacy engine when
present); the pipeline only calls ``redact(text, vault)`` and reads ``.text``/``.spans``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.spans import Span, resolve_overlaps
from privsplit.edge.privacy.vault import Vault

_MAX_PLACEHOLDER = 48


@dataclass
class Redaction:
    text: str
    spans: list[Span]
    decisions: dict[str, str] = field(default_factory=dict)  # entity type -> policy action


class Redactor:
    def __init__(self, *, detectors: Sequence[Detector]) -> None:
        self.detectors = list(detectors)

    def detect(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for detector in self.detectors:
            spans.extend(detector.detect(text))
        return resolve_overlaps(spans)

    def redact(self, text: str, vault: Vault) -> Redaction:
        spans = self.detect(text)
        return Redaction(text=vault.redact(text, spans), spans=spans)


class RestorerLike(Protocol):
    def feed(self, chunk: str) -> str: ...

    def flush(self) -> str: ...


class BufferedRestorer:
    """Restores placeholders in a stream: text after an unclosed ``[`` is held back until the
    bracket closes (or grows longer than any placeholder), so a placeholder split across
    chunks is still restored."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._pending = ""

    def feed(self, chunk: str) -> str:
        text = self._pending + chunk
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:] and len(text) - cut <= _MAX_PLACEHOLDER:
            self._pending, ready = text[cut:], text[:cut]
        else:
            self._pending, ready = "", text
        return self.vault.restore(ready)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self.vault.restore(rest)
