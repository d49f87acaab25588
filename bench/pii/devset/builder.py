"""Render slot templates into text with exact character spans.

A template is a string with slots in braces: ``"ping {handle:1} about {acct}"``. A slot names
a value kind and, after a colon, an optional key: slots with the same kind and key in one
document get the same value (the same person is mentioned twice), a slot without a key gets
a fresh value each time. Each kind maps to a function ``(doc) -> (value, gold_type)``;
``gold_type`` None marks filler that is not private (a drug name, a version number).
``{{`` and ``}}`` write literal braces (code snippets).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

SLOT = re.compile(r"\{\{|\}\}|\{([a-z_0-9]+)(?::(\w+))?\}")
Piece = tuple[str, str | None]
# a kind returns one piece, or several (an unlabeled title, then the labeled name)
Kind = Callable[["Doc"], Piece | list[Piece]]


@dataclass
class Doc:
    """One document being written: its text so far, its gold spans, its own values."""

    rng: random.Random
    kinds: dict[str, Kind]
    lang: str
    parts: list[str] = field(default_factory=list)
    spans: list[dict] = field(default_factory=list)
    cache: dict[str, list[Piece]] = field(default_factory=dict)
    state: dict = field(default_factory=dict)  # per-document people, companies, ...
    length: int = 0

    def value(self, kind: str, key: str | None = None) -> list[Piece]:
        if kind not in self.kinds:
            raise KeyError(f"unknown slot kind '{kind}'")
        cache_key = f"{kind}:{key}"
        if key is None or cache_key not in self.cache:
            self.state["key"] = key if key is not None else f"_fresh{len(self.parts)}"
            got = self.kinds[kind](self)
            pieces = got if isinstance(got, list) else [got]
            if key is None:
                return pieces
            self.cache[cache_key] = pieces
        return self.cache[cache_key]

    def write(self, literal: str) -> None:
        self.parts.append(literal)
        self.length += len(literal)

    def put(self, value: str, gold_type: str | None) -> None:
        if gold_type is not None and value.strip():
            lead = len(value) - len(value.lstrip())
            trail = len(value) - len(value.rstrip())
            self.spans.append(
                {
                    "start": self.length + lead,
                    "end": self.length + len(value) - trail,
                    "type": gold_type,
                }
            )
        self.write(value)

    def render(self, template: str) -> None:
        pos = 0
        for m in SLOT.finditer(template):
            self.write(template[pos : m.start()])
            if m.group(0) in ("{{", "}}"):
                self.write(m.group(0)[0])
            else:
                for value, gold_type in self.value(m.group(1), m.group(2)):
                    self.put(value, gold_type)
            pos = m.end()
        self.write(template[pos:])

    @property
    def text(self) -> str:
        return "".join(self.parts)


def check(record: dict) -> None:
    """Spans lie inside the text, do not overlap and have no surrounding spaces."""
    text, last = record["text"], 0
    for s in sorted(record["spans"], key=lambda s: s["start"]):
        assert 0 <= s["start"] < s["end"] <= len(text), s
        assert s["start"] >= last, f"overlap in {record['id']}"
        value = text[s["start"] : s["end"]]
        assert value == value.strip(), (record["id"], value)
        last = s["end"]
