"""Chemical formulas (NaCl, AgNO3, H2SO4, Ca(OH)2): public vocabulary, never a name or an ID.

A formula is mixed-case letters and digits, which is what the term pass takes for a product
code or a CamelCase name and what the small NER model tags as a person or an organization
("AgNO" PERSON, "NaBr" ORGANIZATION). A word is read as a formula when it is written only with
element symbols, each followed by a subscript of at most two digits (groups in parentheses
allowed), holds at least two symbols, and has a lowercase letter or a digit: "NaCl", "HCl",
"CO2", not "CNN" or "BBC" (acronyms that happen to spell symbols). What an acronym's
shapes also spell is left out: a plural ("PAs", "CSOs"), a two-digit number after two
letters ("FY10"), letters without subscripts unless one is oxygen, hydrogen or a halogen
(NaCl, NaOH; not "CoC"). Codes with longer digit runs ("CN12345") are not formulas.
"""

from __future__ import annotations

import re

ELEMENTS = frozenset(
    """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge
    As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu
    Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu
    Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og""".split()
)
# oxygen, hydrogen and the halogens: a formula without subscripts names one of them
SALT_FORMERS = frozenset({"O", "H", "F", "Cl", "Br", "I"})
_PLURAL = re.compile(r"[A-Z]{2}s$")
_SYMBOL = re.compile(r"([A-Z][a-z]?)(\d{0,2})")
_SHAPE = re.compile(r"(?:[A-Z][a-z]?\d{0,2}|\((?:[A-Z][a-z]?\d{0,2})+\)\d{0,2})+")
_WORD = re.compile(r"[A-Za-z0-9()]+")


def formula(word: str) -> bool:
    """``word`` is written as a chemical formula (see the module docstring)."""
    if not _SHAPE.fullmatch(word) or not any(c.islower() or c.isdigit() for c in word):
        return False
    if _PLURAL.search(word):
        return False  # "PAs", "CSOs", "FPCs": an acronym's plural spells symbols too
    symbols = _SYMBOL.findall(word.replace("(", "").replace(")", ""))
    if len(symbols) < 2 or not all(s in ELEMENTS for s, _ in symbols):
        return False
    if any(len(n) == 2 for _, n in symbols) and len(symbols) < 3:
        return False  # "FY10", "CB12": a code; C6H12O6 has three elements
    if not any(n for _, n in symbols):  # no subscript: a salt, an acid, a base
        return any(s in SALT_FORMERS for s, _ in symbols)  # NaCl, HCl, NaOH; not "CoC"
    return True


def in_formula(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` lies inside a word that is a formula ("AgNO" of "AgNO3")."""
    for m in _WORD.finditer(text, max(0, start - 16), min(len(text), end + 16)):
        if m.start() <= start and end <= m.end():
            word = m.group()
            if word.count("(") != word.count(")"):  # "(NaCl" of "(NaCl and KCl)"
                word = word.strip("()")
            return formula(word)
    return False
