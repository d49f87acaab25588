"""The shipped frequency tables (``tables.yaml``) and the surprisal of each attribute value.

Surprisal is ``-log2(share of the world population that has the value)``: 1 bit halves the
candidates. ``Tables.load()`` reads the YAML once (cached). Every function here is pure; the
numbers and their sources are documented in ``tables.yaml`` and ``docs/reid.md``.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DAY_OF_YEAR_BITS = math.log2(365.25)
MONTH_BITS = math.log2(12)


def bits(share: float) -> float:
    """Surprisal in bits of a value held by ``share`` of the population (0 < share <= 1)."""
    return -math.log2(min(1.0, max(share, 1e-12)))


@dataclass(frozen=True)
class More:
    """The tables of ``quasi.people``: every value is a share of the world population (or a
    head count that becomes one), with the names that detect it (en, fr, es, de)."""

    sectors: dict[str, tuple[float, str]]  # sector -> (share working in it, generalized text)
    employers: dict[str, tuple[str, float]]  # employer -> (sector, employees)
    unknown_employer: float  # employees of an employer the table does not list
    street: dict[str, float]  # street_residents, household, street_name_towns
    continents: dict[str, tuple[float, str]]  # continent -> (population, demonym)
    nationalities: dict[
        str, tuple[str, float, tuple[str, ...]]
    ]  # country -> (continent, pop, names)
    religions: dict[str, tuple[float, str | None, tuple[str, ...]]]  # (share, religion, names)
    ethnicities: dict[str, tuple[float, tuple[str, ...]]]
    categories: dict[str, tuple[float, str]]  # condition category -> (share, generalized text)
    conditions: dict[str, tuple[float, str, tuple[str, ...]]]  # (people, category, names)
    degrees: dict[str, tuple[float, str | None, tuple[str, ...]]]  # (share, next text, names)
    university_share: float
    subject_bits: float  # a degree's subject ("in astrophysics")
    institutions: dict[str, tuple[float, tuple[str, ...]]]  # (living alumni, names)
    unknown_institution: float

    @staticmethod
    def from_data(data: dict) -> More:
        countries = data["countries"]

        def names(xs: list) -> tuple[str, ...]:
            return tuple(str(x) for x in xs)

        return More(
            sectors={str(k): (float(s), str(n)) for k, (s, n) in data["sectors"].items()},
            employers={str(k): (str(s), float(e)) for k, (s, e) in data["employers"].items()},
            unknown_employer=float(data["unknown_employer_employees"]),
            street={str(k): float(v) for k, v in data["streets"].items()},
            continents={str(k): (float(p), str(d)) for k, (p, d) in data["continents"].items()},
            nationalities={
                str(k): (str(c), float(p if p is not None else countries[k]), names(n))
                for k, (c, p, n) in data["nationalities"].items()
            },
            religions={
                str(k): (float(s), None if r is None else str(r), names(n))
                for k, (s, r, n) in data["religions"].items()
            },
            ethnicities={str(k): (float(s), names(n)) for k, (s, n) in data["ethnicities"].items()},
            categories={
                str(k): (float(s), str(n)) for k, (s, n) in data["condition_categories"].items()
            },
            conditions={
                str(k): (float(p), str(c), names(n)) for k, (p, c, n) in data["conditions"].items()
            },
            degrees={
                str(k): (float(s), None if x is None else str(x), names(n))
                for k, (s, x, n) in data["degrees"].items()
            },
            university_share=float(data["university_share"]),
            subject_bits=float(data["degree_subject_bits"]),
            institutions={
                str(k): (float(a), names(n)) for k, (a, n) in data["institutions"].items()
            },
            unknown_institution=float(data["unknown_institution_alumni"]),
        )


@dataclass(frozen=True)
class Tables:
    world: float
    age_bands: dict[str, float]
    countries: dict[str, float]
    regions: dict[str, tuple[str, float]]
    cities: dict[str, tuple[str, float]]
    fields: dict[str, tuple[float, str]]
    professions: dict[str, tuple[str, float]]
    family: dict[str, tuple[float, str, float]]
    more: More  # employer, street, nationality, ethnicity, religion, medical, education

    @staticmethod
    @cache
    def load() -> Tables:
        data = yaml.safe_load((Path(__file__).parent / "tables.yaml").read_text(encoding="utf-8"))
        return Tables(
            world=float(data["world_population"]),
            age_bands={str(k): float(v) for k, v in data["age_bands"].items()},
            countries={str(k): float(v) for k, v in data["countries"].items()},
            regions={str(k): (str(c), float(p)) for k, (c, p) in data["regions"].items()},
            cities={str(k): (str(r), float(p)) for k, (r, p) in data["cities"].items()},
            fields={str(k): (float(s), str(n)) for k, (s, n) in data["fields"].items()},
            professions={str(k): (str(f), float(s)) for k, (f, s) in data["professions"].items()},
            family={
                str(k): (float(b), str(g), float(gb)) for k, (b, g, gb) in data["family"].items()
            },
            more=More.from_data(data),
        )

    # -- age -------------------------------------------------------------------------------
    @staticmethod
    def band_of(age: int) -> str:
        return "90+" if age >= 90 else f"{age // 10 * 10}-{age // 10 * 10 + 9}"

    def age_exact_bits(self, age: int) -> float:
        """One year of a 10-year band: the band's share spread evenly over its years."""
        return bits(self.age_bands[self.band_of(age)] / 10)

    def age_band_bits(self, age: int) -> float:
        return bits(self.age_bands[self.band_of(age)])

    def birth_year_bits(self, year: int) -> float:
        """A birth year tells the exact age (this year's, within one)."""
        age = datetime.date.today().year - year
        return self.age_exact_bits(age) if 0 < age < 110 else self.age_entropy_bits

    @property
    def age_entropy_bits(self) -> float:
        """Expected surprisal of an exact age (a birth year whose age we do not compute)."""
        return sum(s * bits(s / 10) for s in self.age_bands.values())

    # -- places ----------------------------------------------------------------------------
    def place_bits(self, population: float) -> float:
        return bits(population / self.world)

    # -- professions -----------------------------------------------------------------------
    def field_bits(self, name: str) -> float:
        return bits(self.fields[name][0])
