"""The shipped list of public terms (``public_terms.txt``): words the term pass never hides.
Shared by the ``terms`` detector and the name-evidence pass, which both read it."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def load_public_terms() -> frozenset[str]:
    text = (
        resources.files("privsplit.edge.privacy.detectors")
        .joinpath("public_terms.txt")
        .read_text("utf-8")
    )
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )
