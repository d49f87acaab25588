"""What the pipeline asks of a redactor, and the detector-only redactor of the first slice.

``provider.build_redactor`` decides which redactor the pipeline gets (the privacy engine);
the pipeline only calls ``redact(text, vault)`` and reads the ``Redaction`` it returns (the
one type, ``privacy.spans.Redaction``). ``Redactor`` runs detectors without a policy (the
Presidio-only row of bench/delegation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.spans import Redaction, Span, resolve_overlaps
from privsplit.edge.privacy.vault import Vault


class RedactorLike(Protocol):
    def redact(self, text: str, vault: Vault) -> Redaction: ...


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
