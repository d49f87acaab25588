"""Value kinds for the templates: people, handles, contact details, ID codes, case numbers,
secrets, and unlabeled filler (drugs, versions, error codes) that a detector must leave.

Every kind is ``(doc) -> (value, gold_type)``. People are per document: ``{name:1}``,
``{first:1}``, ``{handle:1}`` and ``{email:1}`` of one key describe the same person, in the
document's locale (or, for ``cast`` documents, in a non-Latin-script locale).
"""

from __future__ import annotations

import string
import uuid
from functools import cache

from faker import Faker

from .builder import Doc

LOCALES = {"en": "en_US", "fr": "fr_FR", "es": "es_ES", "de": "de_DE", "gb": "en_GB"}
CAST_LOCALES = ["zh_CN", "ru_RU", "ja_JP", "ko_KR", "ar_AA", "el_GR", "he_IL", "hi_IN", "uk_UA"]
ASCII_NAMES = "en_US"


@cache
def faker(locale: str, seed: int) -> Faker:
    f = Faker(locale)
    f.seed_instance(seed)
    return f


def fk(doc: Doc, locale: str | None = None) -> Faker:
    return faker(locale or LOCALES.get(doc.lang, "en_US"), doc.state["seed"])


def _ascii(s: str) -> str:
    import unicodedata

    out = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(c for c in out if c.isalnum()).lower()


def person(doc: Doc) -> dict:
    key = doc.state.get("key") or "0"
    people = doc.state.setdefault("people", {})
    if key not in people:
        rng = doc.rng
        locale = doc.state.get("cast") and rng.choice(CAST_LOCALES)
        f = fk(doc, locale or None)
        first, last = f.first_name(), f.last_name()
        roman_first = _ascii(first) or _ascii(fk(doc, ASCII_NAMES).first_name())
        roman_last = _ascii(last) or _ascii(fk(doc, ASCII_NAMES).last_name())
        people[key] = {
            "first": first,
            "last": last,
            "rf": roman_first,
            "rl": roman_last,
            "full": f"{first}{'' if locale in ('zh_CN', 'ja_JP', 'ko_KR') else ' '}{last}",
        }
    return people[key]


def handle_of(p: dict, rng) -> str:
    n = rng.randint(1, 9999)
    shapes = [
        f"{p['rf']}.{p['rl']}",
        f"{p['rf']}{n}",
        f"{p['rf']}_{p['rl']}",
        f"{p['rf'][0]}{p['rl']}",
        f"{p['rl']}{rng.randint(70, 99)}",
        f"{p['rf']}.{p['rl'][0]}",
        f"the_real_{p['rf']}",
        f"{p['rf']}{p['rl']}",
        f"{p['rf'].capitalize()}{p['rl'].capitalize()}",
        f"{p['rf']}_{n}",
    ]
    return rng.choice(shapes)


def name(doc):
    return person(doc)["full"], "PERSON"


def first(doc):
    return person(doc)["first"], "PERSON"


def last(doc):
    return person(doc)["last"], "PERSON"


def lower_first(doc):  # informal text: names in lowercase
    return person(doc)["first"].lower(), "PERSON"


def title_last(doc):
    title = doc.rng.choice(
        {
            "fr": ["M.", "Mme", "Me"],
            "es": ["Sr.", "Sra.", "D.ª"],
            "de": ["Herr", "Frau", "Dr."],
        }.get(doc.lang, ["Mr.", "Ms.", "Dr.", "Mrs."])
    )
    return [(f"{title} ", None), (person(doc)["last"], "PERSON")]


def handle(doc):
    return "@" + handle_of(person(doc), doc.rng), "USERNAME"


def username(doc):  # a login without the @
    return handle_of(person(doc), doc.rng), "USERNAME"


def email(doc):
    p, rng = person(doc), doc.rng
    local = rng.choice(
        [f"{p['rf']}.{p['rl']}", f"{p['rf'][0]}{p['rl']}", f"{p['rf']}{rng.randint(1, 99)}"]
    )
    domain = rng.choice([fk(doc).free_email_domain(), fk(doc).domain_name()])
    return f"{local}@{domain}", "EMAIL_ADDRESS"


def phone(doc):
    return fk(doc).phone_number(), "PHONE_NUMBER"


def phone_bare(doc):  # a run of digits: the locale's number without separators or prefix
    for _ in range(20):
        raw = fk(doc).phone_number()
        if raw.startswith(("+", "00", "(+")):
            continue
        digits = "".join(c for c in raw.split("x")[0] if c.isdigit())
        if 9 <= len(digits) <= 11:
            return digits, "PHONE_NUMBER"
    return "0" + "".join(doc.rng.choices(string.digits, k=9)), "PHONE_NUMBER"


def _code(rng, shape: str):
    """'A' a capital letter, '9' a digit, 'x' a lowercase letter or digit, others literal;
    a prefix ending in '|' is a cue word written before the value, not part of it."""
    if "|" in shape:
        cue, shape = shape.split("|", 1)
        return [(cue, None), (_code(rng, shape), None)]
    out = []
    for c in shape:
        if c == "A":
            out.append(rng.choice(string.ascii_uppercase))
        elif c == "9":
            out.append(rng.choice(string.digits))
        elif c == "x":
            out.append(rng.choice(string.ascii_lowercase + string.digits))
        else:
            out.append(c)
    return "".join(out)


ACCOUNT_SHAPES = [
    "AA-ID-9999999",
    "AA-DL-9999999",
    "ACC-999999",
    "CUST-99999-A",
    "U-9999999",
    "A99999999",
    "AAA9999999",
    "99-9999-9999",
    "ID |9999-999-999",
    "AA999999A",
    "MBR-999-99-999",
    "999999-AA",
    "C-99999999",
    "AAA-99999-A9",
    "9999AA99999",
    "acct |9999 9999 99",
]
DEVICE_SHAPES = [
    "SN-A9AA-99A9",
    "DEV-9A9-99999",
    "AA99AAA9AAA9",
    "AAA-9999-A9A9",
    "9AA9A99A9AA",
    "IMEI |999999999999999",
    "HW-99999-AA",
    "A9A-AAA-9999",
    "NODE-999-AA9",
]
ORDER_SHAPES = [
    "ORD-9999-999999",
    "#9999999",
    "INV/9999/99999",
    "AA9999999AA",
    "TCK-99999",
    "REF |99A9999",
    "BK-AA99AA",
]


def _labeled(value, gold_type: str):
    if isinstance(value, list):  # [(cue, None), (code, None)]
        return [value[0], (value[1][0], gold_type)]
    return value, gold_type


def acct(doc):
    return _labeled(_code(doc.rng, doc.rng.choice(ACCOUNT_SHAPES)), "ID_CODE")


def device(doc):
    rng = doc.rng
    r = rng.random()
    if r < 0.2:
        return str(uuid.UUID(int=rng.getrandbits(128))), "ID_CODE"
    if r < 0.3:
        return ":".join(f"{rng.randrange(256):02x}" for _ in range(6)), "MAC_ADDRESS"
    return _labeled(_code(rng, rng.choice(DEVICE_SHAPES)), "ID_CODE")


def order(doc):
    return _labeled(_code(doc.rng, doc.rng.choice(ORDER_SHAPES)), "ID_CODE")


def ip(doc):
    return fk(doc).ipv4(), "IP_ADDRESS"


def case_no(doc):
    """A case or file number; the cue word ("Case", "Application") is not part of the value,
    the number marker written right before it ("no.", "n°", "Az.") is."""
    rng = doc.rng
    year = rng.randint(0, 24)
    n = rng.randint

    def cue(word: str, value: str):
        return [(f"{word} ", None), (value, "CASE_NUMBER")]

    shapes = [
        lambda: (f"no. {n(1000, 79999)}/{year:02d}", "CASE_NUMBER"),
        lambda: cue("Application", f"no. {n(100, 79999)}/{year:02d}"),
        lambda: cue("Case", f"C-{n(1, 799)}/{year:02d}"),
        lambda: cue("Case", f"T-{n(1, 799)}/{year:02d}"),
        lambda: (f"No. {n(1, 4)}:{year:02d}-cv-{n(100, 9999):05d}", "CASE_NUMBER"),
        lambda: cue("Case", f"No. 20{year:02d}-CV-{n(1, 99999):06d}"),
        lambda: cue("Docket", f"No. {n(10, 99)}-{n(1000, 9999)}"),
        lambda: cue("File", f"{rng.choice('ABCDEFGH')}{n(10, 99)}/{n(100, 9999)}/20{year:02d}"),
        lambda: cue("CASE", f"{n(10000, 99999)}/{year:02d}"),
        lambda: cue("ref.", f"{n(10, 999)}.{n(1, 99)}"),
    ]
    by_lang = {
        "fr": [
            lambda: cue("requête", f"n° {n(1000, 79999)}/{year:02d}"),
            lambda: cue("pourvoi", f"n° {n(10, 24)}-{n(10, 99)}.{n(100, 999)}"),
            lambda: cue("RG", f"{year:02d}/{n(1000, 99999):05d}"),
            lambda: cue("dossier", f"n° {n(2000, 2024)}-{n(100, 9999)}"),
        ],
        "es": [
            lambda: cue("recurso", f"n.º {n(100, 9999)}/20{year:02d}"),
            lambda: cue("expediente", f"{n(100, 9999)}/20{year:02d}"),
            lambda: cue("asunto", f"C-{n(1, 799)}/{year:02d}"),
            lambda: cue("procedimiento", f"{n(10, 999)}/20{year:02d}"),
        ],
        "de": [
            lambda: (
                f"Az. {n(1, 12)} {rng.choice(['O', 'U', 'C', 'S'])} {n(1, 999)}/{year:02d}",
                "CASE_NUMBER",
            ),
            lambda: (f"{n(1, 2)} BvR {n(100, 2999)}/{year:02d}", "CASE_NUMBER"),
            lambda: cue(
                "Aktenzeichen", f"{rng.choice(['VI', 'IX', 'III', 'XI'])} ZR {n(1, 399)}/{year:02d}"
            ),
            lambda: (f"Rs. C-{n(1, 799)}/{year:02d}", "CASE_NUMBER"),
        ],
    }
    return rng.choice(by_lang.get(doc.lang, shapes))()


def natid(doc):
    f, rng = fk(doc), doc.rng
    if doc.lang == "fr":
        return f.ssn(), "NATIONAL_ID"
    if doc.lang == "es":
        return rng.choice([f.nif(), f.nie(), f.doi()]), "NATIONAL_ID"
    if doc.lang == "de":
        return faker("de_DE", doc.state["seed"]).ssn(), "NATIONAL_ID"
    return rng.choice(
        [f.ssn(), faker("en_GB", doc.state["seed"]).ssn(), faker("it_IT", doc.state["seed"]).ssn()]
    ), "NATIONAL_ID"


def iban(doc):
    return fk(doc).iban(), "IBAN_CODE"


def card(doc):
    return fk(doc).credit_card_number(), "CREDIT_CARD"


def addr(doc):
    return fk(doc).address().replace("\n", ", "), "STREET_ADDRESS"


def city(doc):
    return fk(doc).city(), "LOCATION"


def org(doc):
    return fk(doc).company(), "ORGANIZATION"


def dob(doc):
    d = fk(doc).date_of_birth(minimum_age=18, maximum_age=88)
    fmt = doc.rng.choice(["%d/%m/%Y", "%Y-%m-%d", "%B %d, %Y", "%d.%m.%Y"])
    return d.strftime(fmt), "DATE_OF_BIRTH"


def mrn(doc):
    return _labeled(
        _code(doc.rng, doc.rng.choice(["99999999", "MRN-9999999", "A9999999", "999-99-99"])),
        "MEDICAL_RECORD_NUMBER",
    )


def url_profile(doc):
    p = person(doc)
    site = doc.rng.choice(
        ["linkedin.com/in", "github.com", "twitter.com", "instagram.com", "gitlab.com"]
    )
    return f"https://{site}/{p['rf']}{p['rl']}", "URL"


def secret(doc):
    rng = doc.rng
    alnum = string.ascii_letters + string.digits
    shapes = [
        "AKIA" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=16)),
        "ghp_" + "".join(rng.choices(alnum, k=36)),
        "sk_live_" + "".join(rng.choices(alnum, k=24)),
        "xoxb-"
        + "".join(rng.choices(string.digits, k=12))
        + "-"
        + "".join(rng.choices(alnum, k=24)),
        "".join(rng.choices(alnum, k=32)),
        "".join(rng.choices(string.ascii_lowercase, k=6))
        + "".join(rng.choices(string.digits, k=3))
        + rng.choice("!#$%"),
    ]
    return rng.choice(shapes), "SECRET"


def password(doc):
    rng = doc.rng
    word = rng.choice(["Summer", "Falcon", "Winter", "Dragon", "Maple", "Tiger", "Orbit"])
    return f"{word}{rng.randint(10, 2099)}{rng.choice('!#$%*')}", "SECRET"


def host(doc):  # an internal host name: identifies the company's systems
    rng = doc.rng
    return (
        f"{rng.choice(['db', 'api', 'auth', 'cache', 'billing'])}-{rng.randint(1, 40):02d}.{fk(doc).domain_word()}.internal",
        "URL",
    )


# ---- unlabeled filler: must not be redacted --------------------------------------------------
def pick(*options: str):
    return lambda doc: (doc.rng.choice(options), None)


FILLER = {
    "drug": pick(
        "metformin",
        "lisinopril",
        "atorvastatin",
        "amoxicillin",
        "ibuprofen",
        "sertraline",
        "levothyroxine",
        "omeprazole",
        "amlodipine",
        "prednisone",
        "gabapentin",
        "warfarin",
    ),
    "dose": pick(
        "500 mg", "10mg", "20 mg twice daily", "1,000 mg", "2.5 mg", "40 mg at night", "75 mcg"
    ),
    "cond": pick(
        "type 2 diabetes",
        "hypertension",
        "atrial fibrillation",
        "asthma",
        "COPD",
        "migraine",
        "hypothyroidism",
        "GERD",
        "major depressive disorder",
        "iron-deficiency anemia",
        "Crohn's disease",
        "Hashimoto's thyroiditis",
        "Parkinson's disease",
    ),
    "icd": pick("E11.9", "I10", "J45.909", "K21.9", "F32.1", "I48.91", "M54.5"),
    "lab": pick(
        "HbA1c 7.2%",
        "LDL 130 mg/dL",
        "TSH 4.8 mIU/L",
        "eGFR 58",
        "BP 142/91",
        "INR 2.4",
        "CRP 12 mg/L",
    ),
    "version": pick(
        "3.11.4", "v2.8.1", "1.24", "18.04 LTS", "5.15.0-91-generic", "2024.1", "v0.9.3-rc2"
    ),
    "err": pick(
        "0x80070005",
        "ERR_CONNECTION_RESET",
        "E11000",
        "HTTP 503",
        "ORA-12541",
        "ECONNREFUSED",
        "error 404",
        "SIGSEGV",
    ),
    "std": pick(
        "ISO 27001",
        "RFC 7231",
        "ISO-8601",
        "CVE-2021-44228",
        "SHA-256",
        "UTF-8",
        "PEP 8",
        "IEEE 754",
        "TLS 1.3",
        "ICD-10",
    ),
    "product": pick(
        "iPhone 14",
        "Pixel 8",
        "ThinkPad X1",
        "RTX 4090",
        "Galaxy S23",
        "MacBook Air M2",
        "Kindle Paperwhite",
        "Echo Dot",
        "PS5",
    ),
    "num": lambda doc: (str(doc.rng.randint(2, 480)), None),
    "time": pick("9:30", "14:00", "10 am", "3pm", "noon", "17:45"),
    "weekday": pick("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "topic": pick(
        "the refund policy",
        "the new pricing",
        "two-factor login",
        "the mobile app",
        "our data retention rules",
        "the API rate limits",
    ),
}

KINDS = {
    "name": name,
    "first": first,
    "last": last,
    "lfirst": lower_first,
    "title": title_last,
    "handle": handle,
    "username": username,
    "email": email,
    "phone": phone,
    "phone10": phone_bare,
    "acct": acct,
    "device": device,
    "order": order,
    "ip": ip,
    "case": case_no,
    "natid": natid,
    "iban": iban,
    "card": card,
    "addr": addr,
    "city": city,
    "org": org,
    "dob": dob,
    "mrn": mrn,
    "profile": url_profile,
    "secret": secret,
    "password": password,
    "host": host,
    **FILLER,
}
