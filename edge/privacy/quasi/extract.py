"""Quasi-identifier extraction: typed findings with offsets and a generalization ladder.

``extract(text)`` finds what describes a person without naming them: AGE, BIRTH_DATE, SEX
(when stated about oneself), LOCATION (city/region/country of the shipped gazetteer),
PROFESSION, FAMILY relations and EVENT_DATE (full dates). Patterns suffice for these; each
``Finding`` carries ``ladder``: the text and surprisal (bits) at each level of generalization,
level 0 being the text as written (``[exact, band]``, ``[city, region, country]``,
``[day, month, year]``, ``[profession, field]``, ``[relation, general relation]``). Hiding is
the step after the last level and is the budget's business, not this module's.

Findings describe "the person" of the conversation: the model does not link an attribute to
one of several people (it assumes one, which over-counts when there are several).
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.quasi import people  # its findings are Findings too
from privsplit.edge.privacy.quasi.findings import Finding, Level
from privsplit.edge.privacy.quasi.tables import DAY_OF_YEAR_BITS, MONTH_BITS, Tables, bits

MONTHS = (
    "January February March April May June July August September October November December"
).split()
_MONTH = r"(?P<month>" + "|".join(MONTHS) + r"|" + "|".join(m[:3] for m in MONTHS) + r")\.?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_DATES = [
    re.compile(rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}{_YEAR}\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b{_YEAR}\b"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<year>(?:19|20)\d\d)\b"),  # a month: "May 1988"
]
# an age band, written or generalized: "a 30-39-year-old", "I am 30-39", "in my 30s"
_BANDS = [
    re.compile(r"\b(?P<band>0-9|(?P<d>[1-8])0-(?P=d)9)(?=[- ]years?[- ]old\b)", re.I),
    re.compile(r"\b(?:I(?:'m| am)|aged?)\s+(?P<band>0-9|(?P<d>[1-8])0-(?P=d)9)\b", re.I),
    re.compile(r"\bin\s+my\s+(?P<band>(?P<d>[1-8])0s)\b", re.I),
]
_BIRTH_CUE = re.compile(r"\b(?:born|birth(?:day|date)?|DOB|d\.o\.b)\b[^.!?\n]{0,20}$", re.I)
_AGES = [
    re.compile(r"\b(?P<age>\d{1,3})[- ]years?[- ]old\b", re.I),
    re.compile(r"\baged?\s+(?P<age>\d{1,3})\b", re.I),
    re.compile(r"\bI(?:'m| am)\s+(?P<age>\d{1,3})\b(?!\s*(?:%|kg|cm|lbs?|minutes|hours|days))"),
]
_SEX = re.compile(
    r"\b(?:I(?:'m| am)|as)\s+an?\s+(?:\d{1,3}[- ]years?[- ]old\s+)?(?P<sex>woman|man|girl|boy)\b"
    r"|\bI(?:'m| am)\s+(?P<sex2>female|male)\b",
    re.I,
)
_FAMILY = re.compile(r"\b(?:my|our|whose)\s+(?P<rel>[a-z]+?)s?\b", re.I)
_RELATIVE = re.compile(
    r"\b(?:daughter|son|wife|husband|twin|sister|brother|grandson|granddaughter|mother|father"
    r"|child|baby|partner)s?\b",
    re.I,
)


def _words(names: list[str]) -> re.Pattern[str]:
    alts = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in alts) + r")(?![\w-])")


def _age(t: Tables, text: str) -> list[Finding]:
    out = []
    for rx in _BANDS:
        for m in rx.finditer(text):
            age = int(m.group("d") or 0) * 10
            band = Level(m.group("band"), t.age_band_bits(age), "band")
            out.append(Finding("AGE", m.start("band"), m.end("band"), band.text, "age", (band,)))
    for rx in _AGES:
        for m in rx.finditer(text):
            age = int(m.group("age"))
            if not 0 < age < 90:  # 90+ is AGE_90_PLUS, hidden by the privacy engine
                continue
            band = t.band_of(age)
            ladder = (
                Level(m.group("age"), t.age_exact_bits(age), "exact"),
                Level(band, t.age_band_bits(age), "band"),
            )
            out.append(Finding("AGE", m.start("age"), m.end("age"), m.group("age"), "age", ladder))
    return out


def _dates(t: Tables, text: str) -> list[Finding]:
    out = []
    for rx in _DATES:
        for m in rx.finditer(text):
            parts = m.groupdict()
            if parts.get("mnum"):
                month = MONTHS[int(parts["mnum"]) - 1] if 1 <= int(parts["mnum"]) <= 12 else ""
            else:
                month = next(x for x in MONTHS if x.lower().startswith(parts["month"].lower()))
            if not month or not 1 <= int(parts.get("day") or 1) <= 31:
                continue
            year = parts.get("year") or ""
            before = text[max(0, m.start() - 40) : m.start()]
            # "my daughter was born on ..." is an event of the conversation, not the age
            birth = bool(_BIRTH_CUE.search(before)) and not _RELATIVE.search(before)
            if birth:  # a birth date tells the age too (the year, or nothing more)
                age = t.birth_year_bits(int(year)) if year else 0.0
                ladder = [
                    Level(m.group(0), DAY_OF_YEAR_BITS + age, "day"),
                    Level(f"{month} {year}".strip(), MONTH_BITS + age, "month"),
                ][0 if parts.get("day") else 1 :]
                if year:
                    ladder.append(Level(year, age, "year"))
                kind, attribute = "BIRTH_DATE", "age"
            else:
                ladder = [
                    Level(m.group(0), DAY_OF_YEAR_BITS, "day"),
                    Level(f"{month} {year}".strip(), MONTH_BITS, "month"),
                ][0 if parts.get("day") else 1 :]
                if year:
                    ladder.append(Level(year, 0.0, "year"))
                kind, attribute = "EVENT_DATE", f"event:{month}-{parts.get('day') or year}"
            out.append(Finding(kind, m.start(), m.end(), m.group(0), attribute, tuple(ladder)))
    return out


def _places(t: Tables, text: str) -> list[Finding]:
    out = []
    for m in _words([*t.cities, *t.regions, *t.countries]).finditer(text):
        name, ladder = m.group(0), []
        if name in t.cities:
            region, pop = t.cities[name]
            ladder.append(Level(name, t.place_bits(pop), "city"))
            name = region
        if name in t.regions:
            country, pop = t.regions[name]
            ladder.append(Level(name, t.place_bits(pop), "region"))
            name = country
        written = f"the {name}" if " " in name and ladder else name  # "the United Kingdom"
        ladder.append(Level(written, t.place_bits(t.countries[name]), "country"))
        out.append(Finding("LOCATION", m.start(), m.end(), m.group(0), "location", tuple(ladder)))
    return out


def _professions(t: Tables, text: str) -> list[Finding]:
    out = []
    for m in re.finditer(_words(list(t.professions)).pattern, text, re.I):
        field, share = t.professions[m.group(0).lower()]
        ladder = (
            Level(m.group(0), bits(share), "exact"),
            Level(t.fields[field][1], t.field_bits(field), "field"),
        )
        out.append(Finding("PROFESSION", m.start(), m.end(), m.group(0), "profession", ladder))
    return out


def _sex_and_family(t: Tables, text: str) -> list[Finding]:
    out = []
    for m in _SEX.finditer(text):
        group = "sex" if m.group("sex") else "sex2"
        word = m.group(group)
        ladder = [Level(word, 1.0, "exact")]
        if word.lower() in ("woman", "man", "girl", "boy"):
            ladder.append(Level("person", 0.0, "unstated"))
        out.append(Finding("SEX", m.start(group), m.end(group), word, "sex", tuple(ladder)))
    for m in _FAMILY.finditer(text):
        rel = m.group("rel").lower()
        if rel not in t.family:
            continue
        b, general, general_bits = t.family[rel]
        ladder = (Level(m.group("rel"), b, "exact"), Level(general, general_bits, "general"))
        attribute = f"family:{general}"
        out.append(Finding("FAMILY", m.start("rel"), m.end("rel"), rel, attribute, ladder))
    return out


def extract(text: str) -> list[Finding]:
    """Every quasi-identifier in ``text``, by start offset; overlapping findings keep the
    earliest (then longest)."""
    t = Tables.load()
    found = [  # on the same span, the first listed wins: cue-based findings before the gazetteer
        *people.find(t, text),
        *_age(t, text),
        *_dates(t, text),
        *_places(t, text),
        *_professions(t, text),
        *_sex_and_family(t, text),
    ]
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Finding] = []
    for f in found:
        if not out or f.start >= out[-1].end:
            out.append(f)
    return out
