"""The egress guard: the last check before anything leaves the device.

Every outbound string is checked again against the vault's values and re-run through the
structured detectors. Values are compared on a *skeleton*: Unicode-normalized (NFKC, accents
dropped, common Cyrillic/Greek look-alikes folded to Latin, O/0 and l/1/I folded), casefolded,
with every space and punctuation mark removed, and a hit must start and end on a word
boundary of the outbound text. So "J O H N  S M I T H", "jоhn smith" (Cyrillic o) and a
card number split over two sub-queries are all caught. Any hit, and any exception while
checking, blocks the whole request (fail closed); the error names entity types, never values.

Only what the request's vault issued is exempt: its placeholders (``[PERSON_1]`` when the
vault maps it) and its masked forms (``[TYPE]`` for a type the vault holds) are blanked
before scanning (for the structured detectors they become ``[____]`` instead, so they
neither join the words around them into a value nor cue one: ``detector_form``). Any other
placeholder-shaped token (a number the vault never issued, an
escaped user token, ``[X_4111111111111111]``) is opened instead: its brackets, underscores
and escape marks become spaces, so the value dressed up inside is scanned like any word.
The structured checks are the policy's own: its recognizers' scores against its
``min_score``, its allow list and its deny list (``Policy.counts`` / ``Policy.deny_spans``,
the same calls the privacy engine makes), so the guard is never laxer than the redaction.
Like the engine, the guard runs them on the detector form as written and with its CJK
characters as word breaks (``scripts.structured_spans``): a phone number glued to Chinese
text ("电话090-1234-5678") has no word boundary to match on otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.policy import Action, Policy
from privsplit.edge.privacy.scripts import joined, structured_spans
from privsplit.edge.privacy.vault import MASK_RE, TOKEN_RE, Vault
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


# What opens an unknown token: brackets, the "_" before its number, escape marks.
_TOKEN_MARKS = re.compile(r"[\[\]_\u2060]")


class EgressGuard:
    """The last check. Thresholds, allow and deny lists come from ``policy`` (one source:
    ``Policy.min_score`` is the guard's threshold too); ``detectors`` are the structured
    recognizers (``factory.build_egress_guard`` gives it the engine's pattern set)."""

    def __init__(self, *, detectors: Sequence[Detector], policy: Policy | None = None) -> None:
        self.detectors = list(detectors)
        self.policy = policy or Policy()

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
        policy = self.policy
        for text, ours in (detector_form(t, vault) for t in outbound):
            spans = policy.deny_spans(text)
            for detector in self.detectors:
                spans.extend(structured_spans(detector, [text])[0])
            hits.update(
                s.entity_type
                for s in spans
                if not any(a <= s.start and s.end <= b for a, b in ours)
                and policy.counts(s, text)
                and policy.action_for(s.entity_type) is not Action.ALLOW
            )
        return hits


def detector_form(text: str, vault: Vault) -> tuple[str, list[tuple[int, int]]]:
    """``text`` as the structured detectors scan it, and where the vault's own tokens are in
    it. The vault's placeholders and masked forms become ``[____]`` (same length): a word
    that stops a value, as the token does in what is sent, and whose type name no context
    word can match ("[PHONE_NUMBER_3] PAYMENT 11668.14" is no phone cue). Blanking them to
    spaces, as ``scan_form`` does for the vault's values, would bridge the words around them:
    "from [NAME_1] 2017-[NAME_2] 2019" read as a phone number, "user [USERNAME_1] has" as the
    handle "has". A span wholly inside one of them is the token itself, not a value. Every
    other placeholder-shaped token is opened, as in ``scan_form``."""
    blank = scan_form(text, vault)
    ours: list[tuple[int, int]] = []
    chars = list(blank)
    for rx in (TOKEN_RE, MASK_RE):
        for m in rx.finditer(text):
            if blank[m.start() : m.end()].isspace():  # blanked by scan_form: ours
                ours.append((m.start(), m.end()))
                chars[m.start() : m.end()] = "[" + "_" * (m.end() - m.start() - 2) + "]"
    return "".join(chars), ours


def scan_form(text: str, vault: Vault) -> str:
    """``text`` as the guard scans it (same length, so offsets hold): the vault's own
    placeholders and masked forms blanked, every other placeholder-shaped token opened."""
    types = {entity_type for entity_type, _ in vault.values()}

    def token(m: re.Match[str]) -> str:
        if not m.group(1) and vault.value_of(m.group(0)) is not None:
            return " " * len(m.group(0))  # ours: "[PERSON_1]" never matches "Person"
        return _TOKEN_MARKS.sub(" ", m.group(0))  # not ours: its inside is scanned

    def masked(m: re.Match[str]) -> str:  # a masked value: exempt for a type the vault holds
        return " " * len(m.group(0)) if m.group(1) in types else m.group(0)

    return MASK_RE.sub(masked, TOKEN_RE.sub(token, text))


def find_known(text: str, vault: Vault) -> list[tuple[int, int, str]]:
    """Where ``text`` still holds a value of the vault, disguised or not: (start, end,
    entity type) of every occurrence, compared on folded letters and digits (case,
    accents, look-alike letters, spacing and punctuation between letters ignored)."""
    blank = scan_form(text, vault)
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
    # a CJK letter on either side of a boundary makes it one
    return not joined(before, text[start]) and not joined(text[end - 1], after)
