"""The egress guard: the last check before anything leaves the device.

Every outbound string is checked again against the vault's values and re-run through the
structured detectors. Values are compared on a *skeleton*: Unicode-normalized (NFKC, accents
dropped, common Cyrillic/Greek look-alikes folded to Latin, O/0 and l/1/I folded), casefolded,
with every space and punctuation mark removed, and a hit must start and end on a word
boundary of the outbound text. So "J O H N  S M I T H", "jоhn smith" (Cyrillic o) and a
card number split over two sub-queries are all caught. Any hit, and any exception while
checking, blocks the whole request (fail closed); the error names entity types, never values.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.policy import Action, Policy
from privsplit.edge.privacy.vault import TOKEN_RE, Vault, normalize
from privsplit.shared.errors import PrivacyBlocked
from privsplit.shared.logging import get_logger

log = get_logger(__name__)

_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "l",
        "ї": "l",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ӏ": "l",
        "ɡ": "g",
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "l",
        "κ": "k",
        "μ": "m",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ω": "w",
        "ℓ": "l",
        "0": "o",
        "1": "l",
        "i": "l",
        "|": "l",
        "ı": "l",
    }
)
MIN_SKELETON = 3
# a value this short matches inside one word only: "End" is in "...the nd..." by chance, while
# "J.o.h.n" (punctuation between letters) is still caught
SHORT_SKELETON = 6


def skeleton(text: str) -> tuple[str, list[int]]:
    """Folded letters and digits of ``text`` and, for each, its index in ``text``."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch).casefold())
        for c in folded.translate(_CONFUSABLES):
            if c.isalnum() and not unicodedata.combining(c):
                chars.append(c)
                index.append(i)
    return "".join(chars), index


class EgressGuard:
    def __init__(
        self, *, detectors: Sequence[Detector], policy: Policy | None = None, min_score: float = 0.5
    ) -> None:
        self.detectors = list(detectors)
        self.policy = policy or Policy()
        self.min_score = min_score
        self._allow = {normalize(v) for v in self.policy.allow_list}

    def check(self, outbound: Sequence[str], vault: Vault) -> None:
        try:
            hits = self._hits(list(outbound), vault)
        except Exception as exc:
            log.error("guard_failed", error=type(exc).__name__)
            raise PrivacyBlocked("egress guard failed; nothing was sent") from None
        if hits:
            types = tuple(sorted(hits))
            log.warning("egress_blocked", entity_types=list(types), strings=len(outbound))
            raise PrivacyBlocked(
                f"outbound text still contains private data ({', '.join(types)}); nothing was sent",
                entity_types=types,
            )
        log.debug("egress_passed", strings=len(outbound))

    def _hits(self, outbound: list[str], vault: Vault) -> set[str]:
        if not all(isinstance(t, str) for t in outbound):
            raise TypeError("outbound strings must be str")
        hits = {entity_type for _, _, entity_type in find_known("\n".join(outbound), vault)}
        masked = [_blank_placeholders(t) for t in outbound]
        for text in masked:
            for detector in self.detectors:
                for span in detector.detect(text):
                    if (
                        span.score >= self.min_score
                        and self.policy.action_for(span.entity_type) is not Action.ALLOW
                        and normalize(text[span.start : span.end]) not in self._allow
                    ):
                        hits.add(span.entity_type)
        return hits


def _blank_placeholders(text: str) -> str:
    """Placeholders are ours: blanked (same length) so "[PERSON_1]" never matches "Person"."""
    return TOKEN_RE.sub(lambda m: " " * len(m.group(0)), text)


def find_known(text: str, vault: Vault) -> list[tuple[int, int, str]]:
    """Where ``text`` still holds a value of the vault, disguised or not: (start, end,
    entity type) of every occurrence, compared on folded letters and digits (case,
    accents, look-alike letters, spacing and punctuation between letters ignored)."""
    blank = _blank_placeholders(text)
    skel, index = skeleton(blank)
    found: list[tuple[int, int, str]] = []
    for entity_type, value in vault.values():
        needle, _ = skeleton(value)
        if len(needle) < MIN_SKELETON:
            continue
        at = skel.find(needle)
        while at >= 0:
            start, end = index[at], index[at + len(needle) - 1] + 1
            spans_words = len(needle) < SHORT_SKELETON and any(
                c.isspace() for c in blank[start:end]
            )
            if _boundary(blank, start, end) and not spans_words:
                found.append((start, end, entity_type))
            at = skel.find(needle, at + 1)
    return found


def _boundary(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()
