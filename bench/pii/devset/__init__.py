"""A seeded multi-domain PII development set with exact character spans.

    python -m devset --seed 13 --out devset.jsonl      (from bench/pii)

Documents are social posts and forum threads, support tickets and logs, e-mails and chat
transcripts, legal decisions, clinical notes and questions, and code/config snippets, in
English, French, Spanish and German, plus English text with names in non-Latin scripts; a
share of each is PII-free (``spans == []``). Each document draws a random number of
sentences from a pool of shapes, in random order, with values from Faker in the document's
locale, so no two documents share a template. Records::

    {"id", "text", "spans": [{"start", "end", "type"}], "source": "devset", "domain", "lang"}

Gold types: PERSON, USERNAME, EMAIL_ADDRESS, PHONE_NUMBER, ID_CODE, CASE_NUMBER,
NATIONAL_ID, IBAN_CODE, MAC_ADDRESS, IP_ADDRESS, SECRET, STREET_ADDRESS, URL,
MEDICAL_RECORD_NUMBER, DATE_OF_BIRTH, ORGANIZATION, LOCATION.
"""

from __future__ import annotations

import random

from .builder import SLOT, Doc, check
from .domains_en import CLINICAL, CODE, LEGAL, MAIL, NEGATIVE, SOCIAL, SUPPORT
from .domains_intl import LANGS
from .values import FILLER, KINDS, faker

EN_DOMAINS = {
    "social": SOCIAL,
    "support": SUPPORT,
    "mail": MAIL,
    "legal": LEGAL,
    "clinical": CLINICAL,
    "code": CODE,
}
JOINERS = {
    "social": [" ", "\n", " ", "\n\n"],
    "support": ["\n", "\n", " "],
    "mail": ["\n", " ", "\n\n"],
    "legal": [" ", "\n\n", "\n"],
    "clinical": [" ", "\n", " "],
    "code": ["\n"],
}
# the share of an entity type the direct-identifier target (recall >= 0.95) is about
DIRECT_TYPES = frozenset(
    {
        "PERSON",
        "USERNAME",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "ID_CODE",
        "CASE_NUMBER",
        "NATIONAL_ID",
        "IBAN_CODE",
        "MAC_ADDRESS",
        "IP_ADDRESS",
        "SECRET",
        "STREET_ADDRESS",
        "URL",
        "MEDICAL_RECORD_NUMBER",
    }
)


def pii_free(template: str) -> bool:
    return all(m.group(1) is None or m.group(1) in FILLER for m in SLOT.finditer(template))


def _doc(rng: random.Random, lang: str, seed: int, *, cast: bool = False) -> Doc:
    doc = Doc(rng=rng, kinds=KINDS, lang=lang)
    doc.state.update(seed=seed, cast=cast)
    return doc


def _compose(doc: Doc, pool: dict, joiners: list[str], rng: random.Random) -> None:
    lines: list[str] = []
    if pool.get("open") and rng.random() < 0.8:
        lines.append(rng.choice(pool["open"]))
    body = pool["body"]
    lines.extend(rng.sample(body, k=min(len(body), rng.randint(2, 6))))
    if pool.get("close") and rng.random() < 0.7:
        lines.append(rng.choice(pool["close"]))
    joiner = rng.choice(joiners)
    for i, line in enumerate(x for x in lines if x):
        if i:
            doc.write(joiner if not lines[0].endswith("\n") or i > 1 else "")
        doc.render(line)


def _negative(doc: Doc, pool: list[str], rng: random.Random, *, code: bool = False) -> None:
    for i, line in enumerate(rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))):
        if i:
            doc.write("\n" if code else rng.choice([" ", "\n", " Also, "]))
        doc.render(line)


def generate(*, seed: int = 13, per_domain: int = 30, per_language: int = 30) -> list[dict]:
    """English: ``per_domain`` documents per domain (+ as many again with non-Latin-script
    names in three of them, + PII-free ones); French, Spanish, German: ``per_language`` each."""
    rng = random.Random(seed)
    faker.cache_clear()  # fresh Faker instances: the same seed gives the same set
    out: list[dict] = []

    def emit(doc: Doc, domain: str) -> None:
        record = {
            "id": f"devset-{len(out)}",
            "text": doc.text,
            "spans": sorted(doc.spans, key=lambda s: s["start"]),
            "source": "devset",
            "domain": domain,
            "lang": doc.lang,
        }
        check(record)
        out.append(record)

    for domain, pool in EN_DOMAINS.items():
        for _ in range(per_domain):
            doc = _doc(rng, "en", seed)
            _compose(doc, pool, JOINERS[domain], rng)
            emit(doc, domain)
    for domain in ("social", "mail", "support", "legal"):
        for _ in range(per_domain // 2):
            doc = _doc(rng, "en-xscript", seed, cast=True)
            _compose(doc, EN_DOMAINS[domain], JOINERS[domain], rng)
            emit(doc, domain)
    code_clean = [t for t in CODE["body"] if pii_free(t)]
    for _ in range(per_domain * 2):
        doc = _doc(rng, "en", seed)
        if rng.random() < 0.2:
            _negative(doc, code_clean, rng, code=True)
            emit(doc, "code-negative")
        else:
            _negative(doc, NEGATIVE, rng)
            emit(doc, "negative")
    for lang, pools in LANGS.items():
        for i in range(per_language):
            doc = _doc(rng, lang, seed)
            if i % 5 == 4:
                _negative(doc, pools["negative"], rng)
                emit(doc, "negative")
                continue
            domain = rng.choice(["social", "mail", "legal", "clinical"])
            lines = rng.sample(pools[domain], k=min(len(pools[domain]), rng.randint(2, 5)))
            joiner = rng.choice(JOINERS[domain if domain != "mail" else "mail"])
            for j, line in enumerate(lines):
                if j:
                    doc.write(joiner)
                doc.render(line)
            emit(doc, domain)
    return out
