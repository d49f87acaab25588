"""Placeholder numbering made independent of the conversation.

``normalize`` renumbers our placeholders per entity type by first appearance, so "email
[PERSON_3] about [PERSON_1]" from one conversation and "email [PERSON_1] about [PERSON_2]"
from another both become "email [PERSON_1] about [PERSON_2]"; it returns the mapping back to
the request's own placeholders. Escaped (user-written) placeholder-shaped text and masked
``[TYPE]`` forms are not placeholders and stay as they are.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from privsplit.edge.privacy.vault import PLACEHOLDER_RE


@dataclass(frozen=True)
class Normalized:
    text: str
    to_request: dict[str, str]  # normalized placeholder -> the request's placeholder

    @property
    def to_normal(self) -> dict[str, str]:
        return {v: k for k, v in self.to_request.items()}


def normalize(text: str) -> Normalized:
    counters: dict[str, int] = defaultdict(int)
    to_normal: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        ours = m.group(0)
        if ours not in to_normal:
            counters[m.group(1)] += 1
            to_normal[ours] = f"[{m.group(1)}_{counters[m.group(1)]}]"
        return to_normal[ours]

    out = PLACEHOLDER_RE.sub(sub, text)
    return Normalized(text=out, to_request={v: k for k, v in to_normal.items()})


def rename(text: str, mapping: dict[str, str]) -> str | None:
    """``text`` with every placeholder replaced through ``mapping``; None when it holds a
    placeholder the mapping does not know (it could not be restored correctly)."""
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        if m.group(0) not in mapping:
            unknown = True
            return m.group(0)
        return mapping[m.group(0)]

    out = PLACEHOLDER_RE.sub(sub, text)
    return None if unknown else out
