"""A seeded synthetic population drawn from the budget's own world model, and the attacker.

``Population.generate(n, seed)`` draws n people (Faker names, seeded numpy draws) whose
attributes follow ``tables.yaml``: age from the pyramid, sex 1/2, location hierarchically
(a listed country with its share of the world, else "elsewhere"; within it a listed region,
then a listed city, with their shares), a field with its share and within it a listed
profession with its share (else "other"), all independent of each other as the model assumes,
a daughter / a son with p = 1/2 each, a birth date consistent with the age. So the population
is a 1:(8e9/n) sample of the world the tables describe, and ``bits`` mean the same in it.

``Population.candidates(transcript)`` is the attacker: it reads the outbound strings with the
same extractor (a generalized "30-39" or "performing artist" is as readable as "37") and
counts the people consistent with every finding. Placeholders tell it nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from faker import Faker
from more import More  # bench/reid, on the path when run.py runs

from privsplit.edge.privacy.quasi import Tables, extract

MONTHS = "January February March April May June July August September October November December"
MONTHS_L = MONTHS.split()
YEAR = datetime.date.today().year  # the extractor reads birth years against the same year


@dataclass
class Population:
    names: list[str]
    age: np.ndarray
    sex: np.ndarray  # 0 woman, 1 man
    country: np.ndarray  # strings ("" = elsewhere)
    region: np.ndarray
    city: np.ndarray
    profession: np.ndarray  # "" = other
    field: np.ndarray
    daughter: np.ndarray
    son: np.ndarray
    birth_day: np.ndarray
    birth_month: np.ndarray  # 1..12
    more: More

    @classmethod
    def generate(cls, n: int, seed: int) -> Population:
        t, rng = Tables.load(), np.random.default_rng(seed)
        bands = list(t.age_bands)
        shares = np.array([t.age_bands[b] for b in bands])
        band = rng.choice(len(bands), n, p=shares / shares.sum())
        age = band * 10 + rng.integers(0, 10, n)
        age = np.where(age < 1, 1, age)
        sex = rng.integers(0, 2, n)
        country = _draw(rng, n, {c: p / t.world for c, p in t.countries.items()})
        region = np.full(n, "", dtype=object)
        for c, pop in t.countries.items():
            inside = {r: p / pop for r, (cc, p) in t.regions.items() if cc == c}
            idx = np.flatnonzero(country == c)
            region[idx] = _draw(rng, len(idx), inside)
        city = np.full(n, "", dtype=object)
        for r, (_, pop) in t.regions.items():
            inside = {ci: p / pop for ci, (rr, p) in t.cities.items() if rr == r}
            idx = np.flatnonzero(region == r)
            city[idx] = _draw(rng, len(idx), inside)
        field = _draw(rng, n, {f: s for f, (s, _) in t.fields.items()})
        profession = np.full(n, "", dtype=object)
        for f, (share, _) in t.fields.items():  # a listed profession within its field, or other
            inside = {p: s / share for p, (ff, s) in t.professions.items() if ff == f}
            idx = np.flatnonzero(field == f)
            profession[idx] = _draw(rng, len(idx), inside)
        fake = Faker()
        fake.seed_instance(seed)
        names = [fake.first_name_female() if s == 0 else fake.first_name_male() for s in sex]
        return cls(
            names=names,
            age=age,
            sex=sex,
            country=country,
            region=region,
            city=city,
            profession=profession,
            field=field,
            daughter=rng.random(n) < 0.5,
            son=rng.random(n) < 0.5,
            birth_day=rng.integers(1, 29, n),
            birth_month=rng.integers(1, 13, n),
            more=More.generate(t, rng, n, city),
        )

    def __len__(self) -> int:
        return len(self.age)

    def candidates(self, transcript: list[str]) -> int:
        """How many people are consistent with everything the outbound strings say."""
        t = Tables.load()
        keep = np.ones(len(self), dtype=bool)
        nouns = {noun: f for f, (_, noun) in t.fields.items()}
        for f in (x for text in transcript for x in extract(text)):
            v = f.value
            if f.kind == "AGE":
                if v.endswith("s"):  # "in my 40s"
                    lo, hi = int(v[:-1]), int(v[:-1]) + 9
                elif "-" in v:
                    lo, hi = (int(p) for p in v.split("-"))
                else:
                    lo = hi = int(v)
                keep &= (self.age >= lo) & (self.age <= hi)
            elif f.kind == "SEX" and v.lower() in ("woman", "girl", "female"):
                keep &= self.sex == 0
            elif f.kind == "SEX" and v.lower() in ("man", "boy", "male"):
                keep &= self.sex == 1
            elif f.kind == "LOCATION":
                v = v.removeprefix("the ")
                keep &= (self.city == v) | (self.region == v) | (self.country == v)
            elif f.kind == "PROFESSION":
                keep &= self.profession == v.lower()
            elif f.kind == "FAMILY":
                keep &= self.daughter if v == "daughter" else self.son if v == "son" else keep
            elif f.kind == "BIRTH_DATE":
                keep &= self._born(v)
            else:
                keep &= self.more.consistent(f)
        for text in transcript:  # a generalized profession reads as its field's noun
            for noun, name in nouns.items():
                if f" a {noun}" in text or f" an {noun}" in text:
                    keep &= self.field == name
            keep &= self.more.consistent_text(text)
        return int(keep.sum())

    def _born(self, text: str) -> np.ndarray:
        words = text.replace(",", " ").split()
        year = next((int(w) for w in words if w.isdigit() and len(w) == 4), None)
        month = next((MONTHS_L.index(w) + 1 for w in words if w in MONTHS_L), None)
        day = next((int(w) for w in words if w.isdigit() and len(w) <= 2), None)
        ok = np.ones(len(self), dtype=bool)
        if year is not None:
            ok &= (YEAR - self.age) == year
        if month is not None:
            ok &= self.birth_month == month
        if day is not None:
            ok &= self.birth_day == day
        return ok


def _draw(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    """n draws of the keys with their shares; the rest of the mass is "" (elsewhere/other)."""
    keys = [*shares, ""]
    p = np.array([*shares.values(), max(0.0, 1.0 - sum(shares.values()))])
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p / p.sum())]
