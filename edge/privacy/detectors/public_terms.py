"""The shipped list of public terms (``public_terms.txt``): words the term pass never hides.
Shared by the ``terms`` detector and the name-evidence pass, which both read it.
``data_lines`` reads any of the detectors' word lists the same way."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


def data_lines(filename: str) -> list[str]:
    """The lines of a word list shipped with the detectors, stripped, without blank lines
    and ``#`` comments."""
    text = resources.files("privsplit.edge.privacy.detectors").joinpath(filename)
    lines = (line.strip() for line in text.read_text("utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_public_terms() -> frozenset[str]:
    return frozenset(line.casefold() for line in data_lines("public_terms.txt"))
