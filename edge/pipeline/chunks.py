"""Cutting text into bounded, in-order pieces for the edge model (summarize and hide).

``chunk_text`` keeps every character: the pieces, read in order and with the overlaps
removed, are the text again (pieces of only whitespace are dropped, they hold nothing). A
stage that reads a request through this chunker therefore sees all of it, or must refuse it.
"""

from __future__ import annotations


def chunk_text(text: str, *, size: int, overlap: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``size`` characters that overlap by ``overlap``,
    preferring to cut at a paragraph, line or sentence end."""
    if size <= overlap:
        raise ValueError("chunk size must exceed the overlap")
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            window = text[start:end]
            for sep in ("\n\n", "\n", ". "):
                cut = window.rfind(sep)
                if cut > size // 2:
                    end = start + cut + len(sep)
                    break
        pieces.append(text[start:end])
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return [p for p in pieces if p.strip()]
