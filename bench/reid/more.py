"""The bench population's further attributes (employer, street, nationality, ethnicity,
religion, medical condition, education), drawn independently from ``tables.yaml`` like the
others, the facts a person states about them, and the attacker's reading of them.

Draws (nested like place and profession): a sector with its share, and within it a listed
employer with its share (employees / world), else none; a street
for people with a listed city (one of city population / street_residents streets, uniform);
a continent, and within it a listed nationality with its share; a listed ethnicity with its share; a religion with its
share and within it a listed denomination with its share; a condition category with its
share, and within it a listed condition with its prevalence; a degree (doctorate, MBA, master's, bachelor's, nested
in university_share) with one of 32 subjects for a doctorate or master's, and for graduates a
listed institution with its share (living alumni / world / university_share).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from privsplit.edge.privacy.quasi import Tables
from privsplit.edge.privacy.quasi.extract import Finding

SUBJECTS = (
    "physics chemistry biology mathematics history economics law medicine nursing philosophy "
    "linguistics music sociology psychology geology astronomy engineering architecture "
    "statistics finance marketing theology archaeology anthropology ecology genetics "
    "neuroscience pharmacology geography literature education agronomy"
).split()
STREET_WORDS = (
    "Oak Elm Ash Birch Cedar Maple Willow Hazel Holly Rowan Mill Church Station Park Victoria "
    "Albert Queen King Bridge Castle Market Chapel Manor Orchard Meadow Spring Green Hill Forest "
    "Abbey Grange Priory Granary Foundry Tannery Quarry Harbour Canal Ferry"
).split()
STREET_KINDS = "Street Road Lane Avenue Close Crescent Terrace Grove Drive Gardens".split()
DEGREE_TEXT = {
    "doctorate": "a PhD",
    "MBA": "an MBA",
    "master's degree": "a master's degree",
    "bachelor's degree": "a bachelor's degree",
}


def _draw(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    keys = [*shares, ""]
    p = np.array([*shares.values(), max(0.0, 1.0 - sum(shares.values()))])
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p / p.sum())]


def street_name(index: int) -> str:
    words, kinds = len(STREET_WORDS), len(STREET_KINDS)
    first, second = STREET_WORDS[index % words], STREET_WORDS[index // words % words]
    return f"{first} {second} {STREET_KINDS[index // words // words % kinds]}"


@dataclass
class More:
    sector: np.ndarray
    employer: np.ndarray  # "" or a listed employer of the sector
    street: np.ndarray
    continent: np.ndarray
    nationality: np.ndarray  # "" or a listed nationality of the continent
    ethnicity: np.ndarray
    religion: np.ndarray  # the religion ("Christian")
    denomination: np.ndarray  # "" or a listed denomination ("Catholic")
    category: np.ndarray  # a condition category, or ""
    condition: np.ndarray  # "" or a listed condition of the category
    degree: np.ndarray  # "" or a key of degrees
    subject: np.ndarray
    school: np.ndarray

    @classmethod
    def generate(cls, t: Tables, rng: np.random.Generator, n: int, city: np.ndarray) -> More:
        m = t.more
        sector = _draw(rng, n, {k: share for k, (share, _) in m.sectors.items()})
        employer = np.full(n, "", dtype=object)
        for name, (share, _) in m.sectors.items():  # a listed employer within its sector
            inside = {e: c / t.world / share for e, (s, c) in m.employers.items() if s == name}
            idx = np.flatnonzero(sector == name)
            employer[idx] = _draw(rng, len(idx), inside)
        street = np.full(n, "", dtype=object)
        for name, (_, pop) in t.cities.items():
            idx = np.flatnonzero(city == name)
            count = max(1, int(pop / m.street["street_residents"]))
            street[idx] = [street_name(int(i)) for i in rng.integers(0, count, len(idx))]
        continent = _draw(rng, n, {k: p / t.world for k, (p, _) in m.continents.items()})
        nationality = np.full(n, "", dtype=object)
        for name, (cpop, _) in m.continents.items():  # a listed nationality within its continent
            inside = {k: p / cpop for k, (c, p, _) in m.nationalities.items() if c == name}
            idx = np.flatnonzero(continent == name)
            nationality[idx] = _draw(rng, len(idx), inside)
        ethnicity = _draw(rng, n, {k: s for k, (s, _) in m.ethnicities.items()})
        top = {k: s for k, (s, parent, _) in m.religions.items() if parent is None}
        religion = _draw(rng, n, top)
        denomination = np.full(n, "", dtype=object)
        for r, share in top.items():
            inside = {k: s / share for k, (s, p, _) in m.religions.items() if p == r}
            idx = np.flatnonzero(religion == r)
            denomination[idx] = _draw(rng, len(idx), inside)
        category = _draw(rng, n, {k: share for k, (share, _) in m.categories.items()})
        condition = np.full(n, "", dtype=object)
        for name, (share, _) in m.categories.items():  # a listed condition within its category
            inside = {k: p / t.world / share for k, (p, c, _) in m.conditions.items() if c == name}
            idx = np.flatnonzero(category == name)
            condition[idx] = _draw(rng, len(idx), inside)
        levels = {k: m.degrees[k][0] for k in DEGREE_TEXT}
        levels["bachelor's degree"] = m.university_share - sum(
            s for k, s in levels.items() if k != "bachelor's degree"
        )
        degree = _draw(rng, n, levels)
        subject = np.array([SUBJECTS[i] for i in rng.integers(0, len(SUBJECTS), n)], dtype=object)
        subject[~np.isin(degree, ["doctorate", "master's degree"])] = ""
        school = np.full(n, "", dtype=object)
        graduates = np.flatnonzero(degree != "")
        shares = {k: a / t.world / m.university_share for k, (a, _) in m.institutions.items()}
        school[graduates] = _draw(rng, len(graduates), shares)
        return cls(
            sector, employer, street, continent, nationality, ethnicity, religion, denomination,
            category, condition, degree, subject, school,
        )  # fmt: skip

    def facts(self, i: int, city: str) -> list[str]:
        """What person ``i`` says about these attributes, one fact a string."""
        t = Tables.load().more
        out = []
        if self.employer[i]:
            out.append(f"I work at {self.employer[i]}, so lunch breaks are short.")
        if self.street[i]:
            out.append(f"I live on {self.street[i]} in {city}, near a park.")
        if self.nationality[i]:
            out.append(f"I'm {t.nationalities[self.nationality[i]][2][0]}, if that matters.")
        if self.ethnicity[i]:
            out.append(f"I'm {t.ethnicities[self.ethnicity[i]][1][0]}, by the way.")
        if self.religion[i] and self.religion[i] not in ("Atheist", "Agnostic"):
            faith = self.denomination[i] or self.religion[i]
            out.append(f"As a practising {faith}, I fast on some days.")
        if self.condition[i]:
            out.append(f"I have {t.conditions[self.condition[i]][2][0]}, which limits me.")
        if self.degree[i]:
            subject = f" in {self.subject[i]}" if self.subject[i] else ""
            out.append(f"I have {DEGREE_TEXT[self.degree[i]]}{subject}, for what it's worth.")
        if self.school[i]:
            out.append(f"I studied at {t.institutions[self.school[i]][1][0]} years ago.")
        return out

    def consistent(self, f: Finding) -> np.ndarray:
        """Who is consistent with a finding the attacker read (True for kinds it ignores)."""
        t = Tables.load()
        m, v = t.more, f.value.removeprefix("the ")
        ok = np.ones(len(self.employer), dtype=bool)
        if f.kind == "EMPLOYER":
            return self.employer == v
        if f.kind == "STREET":
            return self.street == v
        if f.kind == "NATIONALITY":
            key = _key(v, {k: n for k, (_, _, n) in m.nationalities.items()})
            if key:
                return self.nationality == key
            continent = next(
                c for c, (_, d) in m.continents.items() if d.casefold() == v.casefold()
            )
            return self.continent == continent
        if f.kind == "ETHNICITY":
            return self.ethnicity == _key(v, {k: n for k, (_, n) in m.ethnicities.items()})
        if f.kind == "RELIGION":
            key = _key(v, {k: n for k, (_, _, n) in m.religions.items()})
            return (self.religion == key) | (self.denomination == key)
        if f.kind == "MEDICAL_CONDITION":
            return self.condition == _key(v, {k: n for k, (_, _, n) in m.conditions.items()})
        if f.kind == "EDUCATION":
            if f.attribute == "school":
                return self.school == _key(v, {k: n for k, (_, n) in m.institutions.items()})
            key = next((k for k, text in DEGREE_TEXT.items() if v.startswith(text)), None)
            if key is None:  # "a university degree"
                return self.degree != ""
            ok &= self.degree == key
            if " in " in v:
                ok &= self.subject == v.split(" in ", 1)[1]
        return ok

    def consistent_text(self, text: str) -> np.ndarray:
        """The generalized nouns the extractor does not read: a sector, a condition category,
        "a university"."""
        m = Tables.load().more
        ok = np.ones(len(self.employer), dtype=bool)
        for sector, (_, noun) in m.sectors.items():
            if f"at {noun}" in text:
                ok &= self.sector == sector
        for category, (_, noun) in m.categories.items():
            if f"have {noun}" in text:
                ok &= self.category == category
        if "studied at a university" in text:
            ok &= self.degree != ""
        return ok


def _key(value: str, names: dict[str, tuple[str, ...]]) -> str | None:
    folded = value.casefold()
    return next((k for k, ns in names.items() if folded in (n.casefold() for n in ns)), None)
