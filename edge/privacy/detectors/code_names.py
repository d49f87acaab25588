"""Names that belong to Python and its public libraries, which the rare-term pass keeps.

A company's own identifiers in code (its database, table, service and function names) are
private when its code is, but the language's own names are not: hiding ``dataclass`` or
``logging.basicConfig`` costs the answer and protects nothing. What counts as public, by rule
rather than by a list written for some text:

- Python's keywords, builtins and standard-library module names (``keyword``, ``builtins``,
  ``sys.stdlib_module_names``) and the operating system's error names (``errno``:
  ``ECONNREFUSED``);
- the technical vocabulary of ``public_terms.txt`` (languages, libraries, tools);
- attribute access on a public module or its alias: ``logging.basicConfig``, ``np.zeros``;
- names a text imports from a public module (``from dataclasses import dataclass``,
  ``import numpy as np``): ``TextNames.of(text)`` reads the import statements of the text.
  A name imported from a module that is not public (``from acme_billing import ledger``)
  stays private, and so does the module.
"""

from __future__ import annotations

import builtins
import errno
import keyword
import re
import sys
from dataclasses import dataclass
from functools import lru_cache

IMPORT_FROM = re.compile(
    r"^[ \t]*from[ \t]+([A-Za-z_][\w.]*)[ \t]+import[ \t]+\(?([\w \t,.*]+(?:\n[\w \t,.*]+)*?)\)?$",
    re.MULTILINE,
)
IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w \t,.]+)$", re.MULTILINE)
ALIAS = re.compile(r"([A-Za-z_][\w.]*)(?:[ \t]+as[ \t]+([A-Za-z_]\w*))?")


@lru_cache(maxsize=1)
def python_names() -> frozenset[str]:
    """Keywords, builtins, standard-library modules and errno names (case as written)."""
    names = set(keyword.kwlist) | set(getattr(keyword, "softkwlist", ()))
    names |= {n for n in dir(builtins) if not n.startswith("_")}
    names |= set(sys.stdlib_module_names)
    names |= set(errno.errorcode.values())
    return frozenset(names)


def public_module(name: str, public_terms: frozenset[str]) -> bool:
    """A module path whose top-level package is the standard library's or a public one."""
    top = name.split(".", 1)[0]
    return top in sys.stdlib_module_names or top.casefold() in public_terms


@dataclass(frozen=True)
class TextNames:
    """The public names a text brings in through its import statements."""

    names: frozenset[str]  # imported names and aliases of public modules

    @classmethod
    def of(cls, text: str, public_terms: frozenset[str]) -> TextNames:
        if "import" not in text:
            return cls(frozenset())
        found: set[str] = set()
        for m in IMPORT_FROM.finditer(text):
            if not public_module(m.group(1), public_terms):
                continue
            found.update(m.group(1).split("."))
            for a in ALIAS.finditer(m.group(2)):
                found.add(a.group(1))
                if a.group(2):
                    found.add(a.group(2))
        for m in IMPORT.finditer(text):
            for a in ALIAS.finditer(m.group(1)):
                if public_module(a.group(1), public_terms):
                    found.update(a.group(1).split("."))
                    if a.group(2):
                        found.add(a.group(2))
        return cls(frozenset(found))

    def public(self, word: str, public_terms: frozenset[str]) -> bool:
        """``word`` (a bare or dotted name) belongs to Python or a public library."""
        head = word.split(".", 1)[0]
        if word in self.names or head in self.names:
            return True
        if word in python_names() or word.casefold() in public_terms:
            return True
        return "." in word and (head in sys.stdlib_module_names or head.casefold() in public_terms)
