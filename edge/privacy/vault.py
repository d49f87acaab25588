"""A per-conversation vault: private value <-> typed, instance-stable placeholder.

``[PERSON_1]`` is the same person every time within one vault, and written variants of one
entity ("John Smith", "Smith", "JOHN SMITH", "Mr. Smith") share it. A vault belongs to one
conversation, is never shared between conversations, and is safe under concurrent use.

Text that already contains strings shaped like our placeholders is escaped on the way out
(a WORD JOINER after the bracket, one more per level) and unescaped by ``restore``, so a
user's literal "[PERSON_1]" can never be confused with ours and ``restore(redact(x)) == x``.
Restoring a variant gives the first form seen ("Smith" comes back as "John Smith").
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from privsplit.edge.privacy.spans import Span

# ---- the placeholder grammar: every module that reads or writes placeholders imports it here --
# An entity type: capitals, digits and "_", starting with a capital ("PERSON", "US_SSN").
ENTITY_TYPE = r"[A-Z][A-Z0-9_]*"
ESCAPE = "\u2060"  # WORD JOINER: invisible, survives copying, never produced by our placeholders
# Ours: "[PERSON_1]" (groups: entity type, number). Restorable through the vault that wrote it.
PLACEHOLDER_RE = re.compile(rf"\[({ENTITY_TYPE}?)_(\d+)\]")
# A placeholder-shaped token with 0..n escapes; 0 escapes = ours (if the vault knows it).
TOKEN_RE = re.compile(rf"\[({ESCAPE}*)({ENTITY_TYPE}?_\d+)\]")
# A masked value, "[CREDIT_CARD]": the type alone (ends with a letter), never restored.
MASK_RE = re.compile(rf"\[({ENTITY_TYPE}[A-Z])\]")
# Any bracketed type, numbered or masked ("[PERSON_1]", "[PERSON]", "[XXXX]"): no words in it.
BRACKETED = rf"\[{ENTITY_TYPE}\]"
BRACKETED_RE = re.compile(BRACKETED)
# An unfinished placeholder-shaped token at the end of a streamed buffer ("[PER", "[\u2060").
PARTIAL_RE = re.compile(rf"\[{ESCAPE}*(?:{ENTITY_TYPE})?\Z")
VARIANT_TYPES = frozenset({"PERSON", "ORGANIZATION"})
HONORIFICS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "mme",
        "mlle",
        "herr",
        "frau",
        "sr",
        "sra",
    }
)
FORMAT_VERSION = 1


def normalize(value: str) -> str:
    """Canonical form used to recognise the same value written differently."""
    value = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(value.split())


def escape(text: str) -> str:
    """Make every placeholder-shaped token in user text distinguishable from ours."""
    return TOKEN_RE.sub(lambda m: f"[{ESCAPE}{m.group(1)}{m.group(2)}]", text)


def _name_tokens(key: str) -> frozenset[str]:
    toks = [t.strip(".,") for t in key.replace("-", " ").split()]
    return frozenset(t for t in toks if t and t not in HONORIFICS and len(t) > 1)


class Vault:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_key: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._forms: dict[str, set[str]] = defaultdict(set)  # placeholder -> raw forms seen
        self._counters: dict[str, int] = defaultdict(int)
        self._masked: set[tuple[str, str]] = set()  # masked values: never restored, still guarded
        self._revealed: dict[str, float] = {}  # quasi-identifier attribute -> bits already sent
        self.version = 0  # bumps on every new value; lets callers cache derived lookups

    # ---- mapping ---------------------------------------------------------------------------
    def placeholder_for(self, entity_type: str, value: str) -> str:
        key = (entity_type, normalize(value))
        with self._lock:
            found = self._by_key.get(key) or self._variant_of(entity_type, key[1])
            if found is None:
                self._counters[entity_type] += 1
                found = f"[{entity_type}_{self._counters[entity_type]}]"
                self._by_placeholder[found] = value
            if key not in self._by_key or value not in self._forms[found]:
                self._by_key[key] = found
                self._forms[found].add(value)
                self.version += 1
            return found

    def _variant_of(self, entity_type: str, key: str) -> str | None:
        if entity_type not in VARIANT_TYPES:
            return None
        toks = _name_tokens(key)
        if not toks:
            return None
        matches = {
            p
            for (t, k), p in self._by_key.items()
            if t == entity_type
            and (toks <= _name_tokens(k) or _name_tokens(k) <= toks)
            and _name_tokens(k)
        }
        return matches.pop() if len(matches) == 1 else None

    def value_of(self, placeholder: str) -> str | None:
        with self._lock:
            return self._by_placeholder.get(placeholder)

    def values(self) -> list[tuple[str, str]]:
        """(entity_type, value) for every form seen (masked ones too), for the egress guard."""
        with self._lock:
            out = sorted(self._masked)
            for placeholder, forms in self._forms.items():
                entity_type = PLACEHOLDER_RE.fullmatch(placeholder).group(1)  # type: ignore[union-attr]
                out.extend((entity_type, f) for f in sorted(forms))
            return out

    # ---- the re-identification budget (privacy.quasi) ---------------------------------------
    def revealed(self) -> dict[str, float]:
        """Bits of surprisal the conversation has sent per quasi-identifier attribute."""
        with self._lock:
            return dict(self._revealed)

    def reveal(self, bits: dict[str, float]) -> None:
        """Record a released batch's attributes (the most specific of each is kept)."""
        with self._lock:
            for attribute, b in bits.items():
                self._revealed[attribute] = max(self._revealed.get(attribute, 0.0), float(b))

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_placeholder)

    # ---- text ------------------------------------------------------------------------------
    def redact(self, text: str, spans: Iterable[Span], *, masked: Iterable[Span] = ()) -> str:
        """Replace each span by its placeholder (``masked`` ones by ``[TYPE]``, not restorable);
        placeholder-shaped text elsewhere is escaped."""
        marked = [(s, False) for s in spans] + [(s, True) for s in masked]
        out: list[str] = []
        cursor = 0
        for span, is_mask in sorted(marked, key=lambda x: x[0].start):
            if span.start < cursor:
                raise ValueError("spans overlap; resolve them first")
            out.append(escape(text[cursor : span.start]))
            value = text[span.start : span.end]
            if is_mask:
                with self._lock:
                    self._masked.add((span.entity_type, value))
                out.append(f"[{span.entity_type}]")
            else:
                out.append(self.placeholder_for(span.entity_type, value))
            cursor = span.end
        out.append(escape(text[cursor:]))
        return "".join(out)

    def restore(self, text: str) -> str:
        """Replace our placeholders by their values and unescape escaped ones; unknown or
        foreign placeholders are left exactly as they are."""

        def sub(m: re.Match[str]) -> str:
            if m.group(1):
                return f"[{m.group(1)[1:]}{m.group(2)}]"
            value = self.value_of(m.group(0))
            return m.group(0) if value is None else value

        return TOKEN_RE.sub(sub, text)

    # ---- persistence (encrypt with vault_store.EncryptedVaultStore; never write these bytes) --
    def to_bytes(self) -> bytes:
        with self._lock:
            data = {
                "version": FORMAT_VERSION,
                "counters": dict(self._counters),
                "keys": [[t, k, p] for (t, k), p in self._by_key.items()],
                "values": self._by_placeholder,
                "forms": {p: sorted(f) for p, f in self._forms.items()},
                "masked": sorted(self._masked),
                "revealed": dict(self._revealed),
            }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Vault:
        try:
            data = json.loads(raw.decode())
            if data.get("version") != FORMAT_VERSION:
                raise ValueError(f"unsupported vault format {data.get('version')!r}")
            vault = cls()
            vault._counters.update({str(k): int(v) for k, v in data["counters"].items()})
            vault._by_key = {(str(t), str(k)): str(p) for t, k, p in data["keys"]}
            vault._by_placeholder = {str(p): str(v) for p, v in data["values"].items()}
            for p, forms in data["forms"].items():
                vault._forms[str(p)] = {str(f) for f in forms}
            vault._masked = {(str(t), str(v)) for t, v in data.get("masked", [])}
            vault._revealed = {str(a): float(b) for a, b in data.get("revealed", {}).items()}
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise ValueError(f"not a valid vault: {type(exc).__name__}") from None
        vault.version = len(vault._by_key)
        return vault
