"""A per-conversation vault: private value <-> typed, instance-stable placeholder.

``[PERSON_1]`` is the same person every time within one vault. A vault belongs to one
conversation and is never shared between conversations; it is safe under concurrent use.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from privsplit.edge.privacy.spans import Span

PLACEHOLDER_RE = re.compile(r"\[([A-Z][A-Z0-9_]*?)_(\d+)\]")


def normalize(value: str) -> str:
    """Canonical form used to recognise the same value written differently."""
    value = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(value.split())


class Vault:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counters: dict[str, int] = defaultdict(int)

    def placeholder_for(self, entity_type: str, value: str) -> str:
        key = (entity_type, normalize(value))
        with self._lock:
            found = self._by_key.get(key)
            if found is not None:
                return found
            self._counters[entity_type] += 1
            placeholder = f"[{entity_type}_{self._counters[entity_type]}]"
            self._by_key[key] = placeholder
            self._by_placeholder[placeholder] = value
            return placeholder

    def value_of(self, placeholder: str) -> str | None:
        with self._lock:
            return self._by_placeholder.get(placeholder)

    def values(self) -> list[tuple[str, str]]:
        """(entity_type, original value) pairs, for the egress guard."""
        with self._lock:
            return [(k[0], self._by_placeholder[p]) for k, p in self._by_key.items()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_placeholder)

    def redact(self, text: str, spans: Iterable[Span]) -> str:
        """Replace each (non-overlapping) span by its placeholder."""
        out: list[str] = []
        cursor = 0
        for span in sorted(spans, key=lambda s: s.start):
            if span.start < cursor:
                raise ValueError("spans overlap; resolve them first")
            out.append(text[cursor:span.start])
            out.append(self.placeholder_for(span.entity_type, text[span.start:span.end]))
            cursor = span.end
        out.append(text[cursor:])
        return "".join(out)

    def restore(self, text: str) -> str:
        """Replace our placeholders by their values; unknown ones are left as they are."""
        def sub(m: re.Match[str]) -> str:
            value = self.value_of(m.group(0))
            return m.group(0) if value is None else value

        return PLACEHOLDER_RE.sub(sub, text)
