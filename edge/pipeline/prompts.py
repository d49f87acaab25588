"""Versioned prompt templates, loaded from package data (privsplit/edge/prompts/*.txt).

A template file holds two sections, ``### system`` and ``### user``; ``$name`` fields are
filled with ``string.Template`` (a value is never re-interpreted as a template). A missing
file or field is a ``ConfigError`` naming it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from privsplit.shared.errors import ConfigError
from privsplit.shared.types import Message

_SECTION = re.compile(r"^### (system|user)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: string.Template
    user: string.Template

    def render(self, **fields: str) -> tuple[Message, Message]:
        try:
            return (
                Message("system", self.system.substitute(fields).strip()),
                Message("user", self.user.substitute(fields).strip()),
            )
        except KeyError as exc:
            raise ConfigError(f"prompt '{self.name}' needs field {exc}") from None


@lru_cache(maxsize=64)
def load_prompt(name: str, version: str = "v1") -> PromptTemplate:
    filename = f"{name}.{version}.txt"
    try:
        raw = resources.files("privsplit.edge.prompts").joinpath(filename).read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"prompt template not found: {filename}") from None
    parts = _SECTION.split(raw)
    sections = dict(zip(parts[1::2], parts[2::2]))
    if set(sections) != {"system", "user"}:
        raise ConfigError(f"prompt template {filename} needs '### system' and '### user' sections")
    return PromptTemplate(
        name=filename,
        system=string.Template(sections["system"]),
        user=string.Template(sections["user"]),
    )
