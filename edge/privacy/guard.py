"""The egress guard: the last check before anything leaves the device.

Every outbound string is checked again against the vault's values (after case, whitespace
and Unicode normalization) and re-run through the structured detectors. Any hit, and any
exception while checking, blocks the whole request (fail closed). The error names entity
types, never values.
"""

from __future__ import annotations

from collections.abc import Sequence

from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.vault import PLACEHOLDER_RE, Vault, normalize
from privsplit.shared.errors import PrivacyBlocked
from privsplit.shared.logging import get_logger

log = get_logger(__name__)


class EgressGuard:
    def __init__(self, *, detectors: Sequence[Detector], min_score: float = 0.5) -> None:
        self.detectors = list(detectors)
        self.min_score = min_score

    def check(self, outbound: Sequence[str], vault: Vault) -> None:
        try:
            hits = self._hits(outbound, vault)
        except Exception as exc:
            log.error("guard_failed", error=type(exc).__name__)
            raise PrivacyBlocked("egress guard failed; nothing was sent") from None
        if hits:
            types = tuple(sorted(hits))
            log.warning("egress_blocked", entity_types=list(types), strings=len(outbound))
            raise PrivacyBlocked(
                f"outbound text still contains private data ({', '.join(types)}); nothing was sent",
                entity_types=types)

    def _hits(self, outbound: Sequence[str], vault: Vault) -> set[str]:
        hits: set[str] = set()
        joined = normalize(" ".join(outbound))
        for entity_type, value in vault.values():
            needle = normalize(value)
            if needle and needle in joined:
                hits.add(entity_type)
        for text in outbound:
            masked = PLACEHOLDER_RE.sub(lambda m: " " * len(m.group(0)), text)
            for detector in self.detectors:
                for span in detector.detect(masked):
                    if span.score >= self.min_score:
                        hits.add(span.entity_type)
        return hits
