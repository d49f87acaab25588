"""The detector-based redactor of the first slice, and a streaming restorer.

``provider.build_redactor`` decides which redactor the pipeline gets (the privacy engine when
present); the pipeline only calls ``redact(text, vault)`` and reads ``.text``/``.spans``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.restore import StreamRestorer
from privsplit.edge.privacy.spans import Span, resolve_overlaps
from privsplit.edge.privacy.vault import Vault


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


# One streaming restorer: the pipeline's default is the privacy package's. The name stays for
# callers; its own buffer (held up to 48 characters) let an escaped look-alike longer than that
# come out with its escape mark when a chunk boundary fell inside it.
BufferedRestorer = StreamRestorer
