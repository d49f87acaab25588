"""Stand-ins: made-up names in place of name placeholders, on the wire to the cloud only.

A cloud model answers "Alex ... Riverton" better than "[PERSON_1] ... [LOCATION_1]": it
writes a letter to a person, not to a token, and keeps the sentence's grammar. Just before a
guarded request is sent, each placeholder of a name type (person, location, organization,
other names, nationality) is replaced by a stand-in from a fixed pool; the cloud's answer has
its stand-ins turned back into those placeholders as it streams in, so that everything on the
device after the cloud (merge, cache, restore) reads placeholder text as before, and the
restore step gives back the real values. Measured on PUPA (``bench/frontier``): quality
0.854 -> 0.90 with the same hiding.

What the cloud learns is what a placeholder tells it: a value of that type was hidden. A
stand-in is chosen by its placeholder's order and type, never from the value; it is never a
word of the text being sent nor of a value the vault holds (so it cannot be confused with
either, in the question or in the answer); within one request each stand-in, and each word of
a two-word one, stands for one placeholder only. A person whose value is one word gets a
one-word stand-in that reads as a first or a last name.

In the answer a stand-in is recognised as a whole word, written as sent, in capitals, or in
lower case for the made-up one-word names; a two-word person's first or last name alone
stands for the person, and an organization's first word for the organization ("Northwind"
for "Northwind Group"); the restore gives the value as written. A stand-in the
answer bends out of shape ("Alex's" is fine; "A. Morgan" is not) stays as written: a made-up
name, never a wrong real one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from privsplit.edge.privacy.vault import PLACEHOLDER_RE, Vault

MAX_HOLD = 64  # longer than any stand-in: a streamed tail past this is released

# gender-neutral given names and uncommon surnames (no pair is a well-known person); a
# request's first 16 people get a given name and a surname no other has, the next ones
# combinations (then a name alone stands for no one); the one-word pool reads as a first or a
# last name; an organization's first word is no English word (it stands for the organization
# alone); the made-up words (other names, rare terms) are no word of ten languages (wordfreq);
# no word of one pool is in another
FIRST = (
    "Riley", "Avery", "Rowan", "Emery", "Jamie", "Casey", "Remy", "Sami",
    "Devon", "Kerry", "Shiloh", "Arden", "Lennon", "Marley", "Oakley", "Teagan",
)  # fmt: skip
LAST = (
    "Hartwell", "Penrose", "Ashdown", "Calloway", "Thornbury", "Linford", "Whitcombe",
    "Ellington", "Fairley", "Dunmore", "Haverly", "Marchetti", "Okafor", "Lindqvist",
    "Varga", "Castellan",
)  # fmt: skip
PEOPLE = tuple((FIRST[k % 16], LAST[(k + k // 16) % 16]) for k in range(48))
ONE_NAME = (
    "Morgan", "Jordan", "Harper", "Ellis", "Quinn", "Sutton", "Blair", "Marlow",
    "Reese", "Parker", "Emerson", "Hollis", "Linden", "Sawyer", "Kendall", "Tatum",
)  # fmt: skip
MADE_UP = (
    "Orvion", "Varnok", "Talvana", "Quorra", "Zentro", "Halcyra", "Veltrix", "Zurnion",
    "Lalton", "Movex", "Valdica", "Nirex", "Selalto", "Thaldara", "Skorvon", "Quorvis",
    "Quennex", "Glonda", "Dorvica", "Forvant", "Vurnara", "Tralda", "Korveth", "Zennex",
    "Vasketh", "Kaskon", "Bremica", "Praldon", "Mondica", "Lessant", "Lixara", "Tremion",
    "Dondex", "Thondon", "Nalteth", "Murnica", "Prirex", "Kixeth", "Quirex", "Brovion",
)  # fmt: skip
POOLS: dict[str, tuple[str, ...]] = {
    "PERSON": tuple(f"{first} {last}" for first, last in PEOPLE),
    "ONE_NAME": ONE_NAME,
    "LOCATION": (
        "Riverton",
        "Lakewood",
        "Fairview",
        "Brookside",
        "Maplewood",
        "Ashford",
        "Eastmere",
        "Oakhaven",
        "Silverdale",
        "Thornfield",
        "Greyhaven",
        "Millbrook",
        "Stonebridge",
        "Westcliff",
        "Hollowmere",
        "Redwater",
    ),  # fmt: skip
    "ORGANIZATION": (
        "Northwind Group",
        "Bluefield Inc",
        "Crestline Labs",
        "Ostrova Works",
        "Larkspur Partners",
        "Quillon Systems",
        "Veradyne Health",
        "Altmark Foods",
        "Corvena Bank",
        "Pinecrest Media",
        "Solvane Energy",
        "Trelmont College",
    ),  # fmt: skip
    "MADE_UP": MADE_UP,
    "NRP": (
        "Canadian",
        "Norwegian",
        "Chilean",
        "Portuguese",
        "Danish",
        "Finnish",
        "Austrian",
        "Peruvian",
        "Icelandic",
        "Estonian",
    ),  # fmt: skip
}
# placeholder type -> the pool its stand-ins come from (one counter per pool: an other name
# and a rare term of one request never get the same made-up word)
POOL_OF = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "NAME": "MADE_UP",
    "TERM": "MADE_UP",
    "NRP": "NRP",
}
KINDS = frozenset(POOL_OF)
_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


@dataclass(frozen=True)
class StandIns:
    """One request's stand-ins: placeholder -> stand-in (empty: the text goes as it is)."""

    chosen: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def choose(
        cls, texts: Iterable[str], value_of: Callable[[str], str | None], known: Iterable[str]
    ) -> StandIns:
        """Stand-ins for the name placeholders in ``texts``. ``value_of`` gives a
        placeholder's value and ``known`` every value the vault holds: used only to avoid
        their words and to know whether a person's value is one word, never to choose."""
        texts = list(texts)
        avoid = _words("\n".join(texts)) | _words("\n".join(known))
        chosen: dict[str, str] = {}
        used: dict[str, int] = {}
        for text in texts:
            for m in PLACEHOLDER_RE.finditer(text):
                placeholder, kind, value = m.group(0), m.group(1), value_of(m.group(0))
                if placeholder in chosen or kind not in KINDS or value is None:
                    continue
                pool = POOL_OF[kind]
                if pool == "PERSON" and len(value.split()) == 1:
                    pool = "ONE_NAME"
                picked = _pick(POOLS[pool], used.get(pool, 0), avoid)
                if picked is None:  # the pool is spent: the placeholder goes as it is
                    continue
                used[pool], chosen[placeholder] = picked[0] + 1, picked[1]
        return cls(chosen)

    @classmethod
    def for_vault(cls, texts: Iterable[str], vault: Vault) -> StandIns:
        return cls.choose(texts, vault.value_of, (value for _, value in vault.values()))

    def encode(self, text: str) -> str:
        """``text`` with its chosen placeholders replaced by their stand-ins."""
        return PLACEHOLDER_RE.sub(lambda m: self.chosen.get(m.group(0), m.group(0)), text)

    def decode(self, answer: str) -> str:
        """``answer`` with every stand-in (or a two-word person's first or last name alone)
        turned back into its placeholder."""
        return self._decode(answer, 0)

    def _decode(self, text: str, start: int) -> str:
        """``text[start:]`` decoded, reading ``text[:start]`` only as what comes before it."""
        if not self.chosen:
            return text[start:]
        out, cursor = [], start
        for m in self._pattern.finditer(text, start):
            out += [text[cursor : m.start()], self._written[m.group(0)]]
            cursor = m.end()
        return "".join(out) + text[cursor:]

    def decoder(self) -> StreamDecoder:
        return StreamDecoder(self)

    @cached_property
    def _pieces(self) -> dict[str, str]:
        """Every stand-in and every part that stands alone for it -> its placeholder: a
        person's given name or surname, an organization's first word, each only when no
        other stand-in of the request has it."""
        parts: dict[str, set[str]] = {}
        for placeholder, stand_in in self.chosen.items():
            words = stand_in.split()
            if len(words) == 2 and placeholder.startswith(("[PERSON_", "[ORGANIZATION_")):
                alone = words if placeholder.startswith("[PERSON_") else words[:1]
                for word in alone:
                    parts.setdefault(word, set()).add(placeholder)
        pieces = {word: owners.pop() for word, owners in parts.items() if len(owners) == 1}
        return {**pieces, **{s: p for p, s in self.chosen.items()}}

    @cached_property
    def _written(self) -> dict[str, str]:
        """Every form the answer may write -> its placeholder: as sent and in capitals (lower
        case too for a made-up word, which no English word equals)."""
        out: dict[str, str] = {}
        for piece, placeholder in self._pieces.items():
            out |= {piece: placeholder, piece.upper(): placeholder}
            if placeholder.startswith(("[NAME_", "[TERM_")):
                out[piece.lower()] = placeholder
        return out

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        longest_first = sorted(self._written, key=len, reverse=True)
        alternatives = "|".join(re.escape(w) for w in longest_first)
        return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def _pick(pool: tuple[str, ...], start: int, avoid: set[str]) -> tuple[int, str] | None:
    """The first stand-in of ``pool`` from ``start`` none of whose words is to be avoided
    (the pools are in order of use: no two picks of one request are the same)."""
    for index in range(start, len(pool)):
        if not _words(pool[index]) & avoid:
            return index, pool[index]
    return None


class StreamDecoder:
    """``decode`` on a stream: a trailing piece that could still grow into a stand-in
    ("Ril", "Riley", "Riley Hart") is held back until the next chunk or ``flush``. The
    concatenated output equals ``decode`` of the whole answer, for any chunking."""

    def __init__(self, stand_ins: StandIns) -> None:
        self.stand_ins = stand_ins
        self._written = list(stand_ins._written) if stand_ins.chosen else []
        self._buf = ""
        self._before = ""  # the last character released, as the cloud wrote it

    def feed(self, chunk: str) -> str:
        if not self._written:
            return chunk
        self._buf += chunk
        return self._release(self._hold_from(self._buf))

    def flush(self) -> str:
        return self._release(len(self._buf))

    def _release(self, cut: int) -> str:
        ready, self._buf = self._buf[:cut], self._buf[cut:]
        out = self.stand_ins._decode(self._before + ready, len(self._before))
        self._before = (self._before + ready)[-1:]
        return out

    def _hold_from(self, buf: str) -> int:
        """Where the held tail starts: the first word start in the last ``MAX_HOLD``
        characters from which the rest is the beginning of (or all of) a written form; the
        whole buffer is released when there is none."""
        for at in range(max(0, len(buf) - MAX_HOLD), len(buf)):
            if at > 0 and (buf[at - 1].isalnum() or buf[at - 1] in "_-"):
                continue
            tail = buf[at:]
            if any(form.startswith(tail) for form in self._written):
                return at
        return len(buf)
