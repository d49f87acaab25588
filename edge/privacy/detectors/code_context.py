"""Where a text is code, and which words of its code are the language's own.

In code, capitals and rare spellings are naming conventions, not signs of a proper name:
``<!DOCTYPE html>``, ``using System.Collections.Generic;``, ``Margin = new Thickness(5)``
hold no one's name, yet the rare-term pass and NER read them as prose and hide them, and the
cloud can no longer answer. What the author named is another matter: a company's classes,
packages and variables (``var photoWindow = new PhotoWindow()``, ``import
ru.acme.lab.Binding``) are its own, and stay judged as before. By rule, for any language:

- **Code** (``CodeContext.in_code``): fenced blocks (```` ``` ````), and stretches dense in
  code punctuation (``; { } [ ] = < >``, calls ``f(`` and member dots ``a.b``: at least
  ``MIN_MARKS`` in a window of ``WINDOW`` characters, widened to the edges of the window), which also finds code pasted into one line. String literals,
  comments and HTML text between tags are not code: what is written there (a person's name,
  an e-mail, a username in a path) is judged as prose.
- **Programming vocabulary** (``code_vocabulary.txt``): keywords, builtins and standard types
  of common languages, HTML elements, attributes and entities, CSS properties, roots of
  standard namespaces, short forms of common words (``btn``, ``ctx``); and Python's own names
  (``code_names``).
- **Declared names** (``declared``): what the code defines or instantiates (after ``class``,
  ``new``, ``var``, ``def``, ``function``..., the name in ``Type name =``), and the names it
  imports from a package that is not public; these are never kept by this module. The type
  in ``Type name =`` is used, not declared.
- **Public code word** (``public_code_word``): programming vocabulary, a dotted name under a
  public namespace root, or an identifier the code does not declare whose parts (split at
  ``.``, ``_`` and case changes) are all programming vocabulary or common English words that
  do not read as names (``name_evidence.name_like``): ``HorizontalAlignment``,
  ``FirstOrDefault``, ``Visibility.Hidden``, ``Grid``. Parts with digits are left to the
  identifier rules (``x86_64``, ``test123``), and so are rare parts (``snilsWindow``).
- **Colours** (``colours``): a hex colour written in code (``color: #10b981;``,
  ``fill="#fff"``) is a style, not an identifier, and no detector's span inside one counts
  (the engine drops them). In prose, comments and HTML text it is judged as before ("ticket
  #123456"), and so are three or four letters that could be a name ("#bea").

Patterns that find secrets, e-mails, IPs and keys are not affected: they run on their own.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from functools import lru_cache

import regex as re

from privsplit.edge.privacy.detectors.code_names import python_names
from privsplit.edge.privacy.detectors.name_evidence import name_like
from privsplit.edge.privacy.detectors.public_terms import data_lines, load_public_terms
from privsplit.edge.privacy.detectors.terms_lexicon import english_word
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf
from privsplit.edge.privacy.vault import BRACKETED_RE

WINDOW = 80  # characters around a position in which code punctuation is counted
MIN_MARKS = 5  # ; { } ( ) [ ] = < > in the window: code (prose has a bracket pair or two)
CODE_MARKS = frozenset(";{}[]=<>")  # and '(' right after a name: a call, f(x)
NAME_ZIPF = 4.5  # a travelling word this frequent is read as a given name ('john' 5.4)
COMMON_PART = 3.0  # Zipf: a part of an identifier at least this common is an English word
COMMENT_CAP = 120  # a comment in code pasted into one line ends here at the latest
FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
# not code, inside code: comments, string literals, the text of HTML elements
NOT_CODE = re.compile(
    r"/\*.*?(?:\*/|\Z)"
    r"|<!--.*?(?:-->|\Z)"
    r"|(?<![:/\w])//[^\n]*"
    r"|(?:^|(?<=\s))#(?=\s)[^\n]*"
    r"|(?:^|(?<=\s))--(?=\s)[^\n]*"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|(?<!\w)'(?:[^'\\\n]|\\.)*'"
    r"|`(?:[^`\\]|\\.)*`",
    re.DOTALL | re.MULTILINE,
)
# the text of an HTML element: after a tag, before the next, with no code punctuation in it
# (the '>' and '<' of generics and comparisons, "List<Item> items = …", enclose code)
HTML_TEXT = re.compile(r"(?<=>)[^<>;{}=\"]*\p{L}[^<>;{}=\"]*(?=<)")
# a template's blank in angle brackets, "<name of supervisor>": words, no tag's '=' or '/'
PROSE_BRACKETS = re.compile(r"<[^<>=\"'/;{}()]*\s[^<>=\"'/;{}()]*\s[^<>=\"'/;{}()]*>")
HTML_CLOSE = re.compile(r"</[A-Za-z][\w-]*>")
# the types a text defines or instantiates are the author's ('new PhotoWindow()'); its
# functions and variables made of English words are not kept apart ('def create_session'),
# but a variable spelled as a declared type is that type's name ('var photoWindow')
DECLARES = re.compile(
    r"\b(?:class|struct|interface|enum|record|trait|namespace|new|type|module|package|"
    r"extends|implements)\s+([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)"
)
IMPORTS = re.compile(
    r"\b(?:using(?:\s+static)?|import|from|require|#include|use)\s*\(?\s*[\"'<]?"
    r"([A-Za-z_][\w]*(?:[./:]+[A-Za-z_][\w]*)*)"
)
PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# a CSS hex colour: '#' and 3, 4, 6 or 8 hex digits, a whole token
HEX_COLOUR = re.compile(r"(?<![\w#&])#(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3,4})(?![\w-])")
# a style property's value before a colour: 'border: 1px solid #fff'
STYLE_VALUE = re.compile(r"[A-Za-z-]+\s*:\s*[^;:{}\"'<>]*$")


@lru_cache(maxsize=1)
def code_vocabulary() -> frozenset[str]:
    """``code_vocabulary.txt``, case-folded."""
    return frozenset(
        w.casefold() for line in data_lines("code_vocabulary.txt") for w in line.split()
    )


def code_word(word: str) -> bool:
    """A programming word (``code_vocabulary.txt``, Python's names, ``public_terms.txt``)."""
    folded = word.casefold()
    return folded in code_vocabulary() or word in python_names() or folded in load_public_terms()


def _namespace_root(word: str) -> bool:
    return word in sys.stdlib_module_names or code_word(word)


def _english_part(part: str) -> bool:
    folded = part.casefold()
    if code_word(part):
        return True
    if not folded.isalpha() or len(folded) < 2:
        return False
    frequency = zipf(folded)
    if frequency < COMMON_PART:
        return False
    # a word that travels between languages as names do may still be shared vocabulary
    # ('horizontal', 'dialog', in WordNet); the frequent ones are given names ('john', 'mary')
    return not name_like(folded) or (english_word(folded) and frequency < NAME_ZIPF)


def _regions(text: str) -> list[tuple[int, int]]:
    """Fenced blocks and stretches dense in code punctuation."""
    out = [(m.start(1), m.end(1)) for m in FENCE.finditer(text)]
    n = len(text)
    if n == 0:
        return out
    prefix = [0] * (n + 1)
    prose = {i for m in PROSE_BRACKETS.finditer(text) for i in (m.start(), m.end() - 1)}
    # a placeholder the detectors wrote ("[PERSON_1]: ok, mail [EMAIL_ADDRESS_1]") is a word,
    # not code: chat lines full of them read as code otherwise
    prose |= {i for m in BRACKETED_RE.finditer(text) for i in (m.start(), m.end() - 1)}
    for i, c in enumerate(text):
        mark = i not in prose and (
            c in CODE_MARKS
            or (c == "(" and 0 < i and (text[i - 1].isalnum() or text[i - 1] == "_"))
            # a member access: a.b, not the end of a sentence
            or (c == "." and 0 < i < n - 1 and text[i - 1].isalnum() and text[i + 1].isalpha())
        )
        prefix[i + 1] = prefix[i] + mark
    if prefix[n] < MIN_MARKS:
        return out
    half = WINDOW // 2
    start = None
    for i in range(n + 1):
        dense = i < n and prefix[min(n, i + half)] - prefix[max(0, i - half)] >= MIN_MARKS
        if dense and start is None:
            start = i
        elif not dense and start is not None:
            out.append(_widen(text, start, i, half))
            start = None
    merged: list[tuple[int, int]] = []
    for a, b in sorted(out):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _widen(text: str, start: int, end: int, by: int) -> tuple[int, int]:
    """A dense stretch grown by ``by`` characters each way, within its line: the window
    thins out at the edges of code (``using System;`` opening a text)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return max(line_start, start - by), min(line_end, end + by)


def _not_code(text: str, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    # one pass over the whole text, so a region's edge inside a literal does not pair the
    # quotes the wrong way round
    for m in NOT_CODE.finditer(text):
        end = m.end()
        if m.group().startswith(("//", "#", "--")):
            end = min(end, m.start() + COMMENT_CAP)
        if any(a < end and m.start() < b for a, b in regions):
            out.append((m.start(), end))
    out.extend((m.start(), m.end()) for m in PROSE_BRACKETS.finditer(text))
    if HTML_CLOSE.search(text):
        out.extend((m.start(), m.end()) for m in HTML_TEXT.finditer(text))
    return sorted(out)


def _declared(text: str) -> frozenset[str]:
    """Names the code defines, instantiates or imports from a package that is not public."""
    names: set[str] = set()
    for m in DECLARES.finditer(text):
        for part in m.group(1).split("."):
            # 'new Thickness(5)', 'new Uri(…)': a library's one-word class is instantiated,
            # not defined; 'class Customer' defines one
            if not code_word(part) and (m.group().startswith("class") or not _one_word(part)):
                names.add(part)
    for m in IMPORTS.finditer(text):
        line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        if m.group().startswith("import") and re.search(r"\bfrom\s", line):
            continue  # 'from dataclasses import dataclass': the module was judged
        path = [p for p in re.split(r"[./:]+", m.group(1)) if p]
        if path and not _namespace_root(path[0]):  # a folder word ('Pages') names no one
            names.update(p for p in path if not _one_word(p))
    return frozenset(n.casefold() for n in names)


def _one_word(name: str) -> bool:
    """A single common English word or programming word (``Frame``, ``pages``)."""
    return name.isalpha() and len(PARTS.findall(name)) == 1 and _english_part(name)


@dataclass(frozen=True)
class CodeContext:
    """The code of one text: where it is, and the names it declares."""

    regions: tuple[tuple[int, int], ...]
    not_code: tuple[tuple[int, int], ...]
    declared: frozenset[str]
    colours: tuple[tuple[int, int], ...] = ()  # hex colours written in code, '#' included

    @classmethod
    def of(cls, text: str) -> CodeContext:
        return _context(text)

    def in_code(self, start: int, end: int) -> bool:
        """``text[start:end]`` lies in code, outside comments, literals and HTML text."""
        if not any(a <= start and end <= b for a, b in self.regions):
            return False
        return not any(a < end and start < b for a, b in self.not_code)

    def code_literal(self, start: int, end: int) -> bool:
        """``text[start:end]`` is the whole of a string literal in code (an attribute's value:
        ``name="viewport"``, ``charset='utf-8'``): a programming word there is kept too."""
        return any(a == start - 1 and b == end + 1 for a, b in self.not_code)

    def in_colour(self, start: int, end: int) -> bool:
        """``text[start:end]`` lies inside a hex colour written in code."""
        return any(a <= start and end <= b for a, b in self.colours)

    def public_code_word(self, word: str) -> bool:
        """``word``, written in code, is the language's or a library's, not the author's."""
        word = word.strip("_$")
        if not word or any(c.isdigit() for c in word):
            return code_word(word)  # 'utf-8', 'h1' are vocabulary; other codes are not
        if code_word(word):
            return True
        dotted = [p for p in word.split(".") if p]
        if any(p.casefold() in self.declared for p in dotted):
            return False
        if len(dotted) > 1 and _namespace_root(dotted[0]):
            dotted = dotted[1:]
        for piece in dotted:
            for chunk in piece.split("_"):
                if not chunk:
                    continue
                if code_word(chunk):
                    continue
                if chunk.isupper() and "_" not in piece and len(chunk) > 3:
                    return False  # 'SUBWAY' in a table: a word in capitals, maybe a name
                parts = PARTS.findall(chunk)
                if not parts or "".join(parts) != chunk:
                    return False
                if not all(_english_part(p) for p in parts):
                    return False
        return True


def _colour_digits(digits: str) -> bool:
    """Hex digits that read as a colour, not a word: a digit in them, six or eight of them
    ('#fafafa'), or one letter repeated ('#fff'); '#bea', '#dad' and '#abe' may be names."""
    return any(c.isdigit() for c in digits) or len(digits) >= 6 or len(set(digits.casefold())) == 1


@lru_cache(maxsize=64)
def _context(text: str) -> CodeContext:
    regions = _regions(text)
    if not regions:
        return CodeContext((), (), frozenset())
    # declarations are read in the whole text: a name declared outside what reads as code
    # ("a new Approach") is only judged as before, never kept by mistake
    context = CodeContext(tuple(regions), tuple(_not_code(text, regions)), _declared(text))
    colours = tuple(
        (m.start(), m.end())
        for m in HEX_COLOUR.finditer(text)
        if _colour_digits(m.group()[1:])
        and any(a <= m.start() and m.end() <= b for a, b in regions)
        # in code proper, the whole of a string literal there (fill="#fff"), or the value of
        # a style property in one (style="color: #ff5733")
        and (
            context.in_code(m.start(), m.end())
            or context.code_literal(m.start(), m.end())
            or STYLE_VALUE.search(text, max(0, m.start() - 40), m.start()) is not None
        )
    )
    return replace(context, colours=colours)
