"""Structured identifier codes: account, device, order and member IDs, case and application
numbers, and national ID numbers checked with python-stdnum.

A *code* is a token of letters and digits joined by ``- _ / . :`` (``XX-ID-1234567``,
``CUST-00912-X``, ``A12345678``, ``SN-4F8K-22Q9``). It counts as an identifier when

- a cue word names it (account, customer, device, serial, order, ticket, ref., member, ID,
  no., n°, Kundennummer, numéro de client, ...; up to a few filler words between) and it
  holds at least three digits, or letters and a digit; or
- without a cue, it is clearly made up: at least five digits mixed with letters or
  separators, at least seven characters, and it is not a version, date, time, quantity,
  hex literal, file name or a public standard's name (``ISO-8601``, ``CVE-2021-44228``).

Case and application numbers are numbers with a slash or colon after a legal cue
(``no. 12345/06``, ``Case C-123/45``, ``Az. 3 O 123/21``, ``1 BvR 123/45``, ``1:19-cv-02345``);
the marker right before the number (``no.``, ``n°``, ``Nr.``, ``Az.``) is part of the span.

A code whose checksum validates as a national identity number (python-stdnum: French NIR,
Spanish DNI/NIE, German tax ID, Italian fiscal code, Dutch BSN, ...) is a NATIONAL_ID. No
lists of values are used; only the shapes people write identifiers in.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import lru_cache

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

TOKEN = re.compile(
    r"(?<![\w@.\-/:#])#?(?P<t>[A-Za-z0-9](?:[A-Za-z0-9]|[-_/.:](?=[A-Za-z0-9]))*)(?![\w@]|[-/]\w)"
)
# "9999 9999 99" after a cue: digit groups with single spaces
SPACED = re.compile(r"(?<![\w.-])(?P<t>[A-Z]{0,3}\d{2,6}(?: \d{2,6}){1,4})(?![\w-])")
ID_CUE = re.compile(
    r"(?i:(?<![^\W_])(?:account|acct|a/c|customer|client|member(?:ship)?|subscriber|user|device|serial|"
    r"s/n|sn|imei|order|ticket|ref|reference|invoice|policy|contract|badge|employee|staff|"
    r"student|licen[cs]e|passport|tracking|booking|reservation|confirmation|claim|record|"
    r"patient|id|identifier|numéro|numero|número|n°|nº|n\.º|nr|no|num|compte|série|serie|"
    r"cliente|cuenta|dossier|mrn|kunden(?:nummer)?|konto|seriennummer|nummer|kennung|steuer-id|"
    r"ausweis(?:nummer)?|fallnummer|vertragsnummer|mitgliedsnummer|pedido|commande|facture|"
    r"factura|rechnung(?:snummer)?)\b\.?)"
    r"(?:\s*(?:[:#=]|-|number|no\.?|nr\.?|num\.?|n°|nº|id|is|was|of|est|es|ist|lautet|de|médical|medical|médica|clínica|historia|del|du|la)(?!\w)\.?){0,4}"
    r"\s*[\"'(]?\s*$",
    re.IGNORECASE,
)
CASE_CUE = re.compile(
    r"(?i:\b(?:case|cases|application|applications|appl|requête|requete|affaire|pourvoi|"
    r"dossier|recurso|expediente|asunto|procedimiento|rechtssache|rs|az|aktenzeichen|docket|"
    r"file|matter|judgment|judgement|decision|ruling|beschluss|urteil|rg|sts|arrêt|arret|"
    r"sentencia|complaint|petition|appeal|claim)\b\.?)"
    r"(?:\s*(?:no\.?|nos\.?|nr\.?|n°|nº|n\.º|number|#|:)){0,2}\s*$",
    re.IGNORECASE,
)
MARKER = re.compile(r"(?i:\b(?:nos?|nr|n|az|rs)\.|n°|nº|n\.º|#)\s?$")
CASE_VALUE = re.compile(
    r"(?<![\w/.-])(?P<v>"
    r"\d{1,2}\s(?:[A-Z][A-Za-z]{0,3})\s\d{1,5}/\d{2,4}"  # 1 BvR 123/45, VI ZR 12/20, 3 O 12/21
    r"|[IVX]{1,4}\s[A-Z]{1,3}\s\d{1,5}/\d{2,4}"
    r"|\d:\d{2}-[a-z]{2,3}-\d{3,6}(?:-[A-Z]{2,4})?"  # 1:19-cv-02345
    r"|[A-Z]{1,3}-\d{1,5}/\d{2,4}(?:\s?P)?"  # C-123/45, T-45/19
    r"|(?:19|20)\d\d-[A-Z]{2,4}-\d{3,7}"  # 2021-CV-004512
    r"|\d{1,6}(?:[/.:-]\d{1,6}){1,3}"  # 12345/06, 21-12.345, 164.9, 12-3456
    r")(?![\w/-]|\.\d)"
)
# German court registers need no cue: "1 BvR 2345/18", "VI ZR 12/20", "2 StR 45/19"
REGISTER = re.compile(
    r"(?<![\w/.-])(?:\d{1,2}|[IVX]{1,4})\s(?:[A-Z][a-z]?[A-Z]{1,2}|[A-Z]{2,3})\s\d{1,5}/\d{2,4}(?![\w/-])"
)
# a bare number with a two- or four-digit year after a slash: needs a legal word nearby
BARE_CASE = re.compile(r"(?<![\w/.-])\d{3,6}/(?:\d{2}|(?:19|20)\d\d)(?![\w/.-]|\.\d)")
LEGAL_CONTEXT = re.compile(
    r"(?i:\b(?:application|applicant|court|judgment|judgement|v\.|vs\.?|tribunal|"
    r"appeal|requérant|requête|cour|recurso|tribunal|sentencia|gericht|urteil|klage|kläger)\b)"
)
# names of public standards, products and formats written like codes
PUBLIC_PREFIX = re.compile(
    r"(?i)^(?:iso|iec|en|din|rfc|cve|cwe|sha|md|utf|ucs|pep|ieee|icd|dsm|tls|ssl|http|https|"
    r"ora|ecma|astm|nist|gpt|rtx|gtx|rx|x86|arm|amd|intel|win|ios|api|ipv|iphone|pixel|"
    r"galaxy|model|ansi|ascii|atc|loinc|snomed|hl7|fhir|covid|sars|h\d|n\d|ean|isbn|issn|"
    r"doi|arxiv|pmid|ecli|celex|gdpr|hipaa|sox|pci|ssh|ecdsa|rsa|aes|crc|base|int|uint|"
    r"float|e|py|python|node|java|net|dotnet|cuda|pg|mysql|v)[-_ ]?\d"
)
VERSION = re.compile(r"(?i)^v?\d{1,4}(?:\.\d{1,4}){1,3}(?:[-+_.~]?[a-z][\w.-]*|[-+~][\w.-]+)?$")
DATE_LIKE = re.compile(
    r"^(?:(?:19|20)\d\d([-/.])\d{1,2}(?:\1\d{1,2})?(?:T[\d:.]+Z?)?"
    r"|(?P<a>\d{1,2})([-/.])(?P<b>\d{1,2})\3(?:19|20)?\d\d"
    r"|\d{1,2}:\d\d(?::\d\d)?|(?:19|20)\d\d(?:-|/)(?:19|20)?\d\d)$"
)
QUANTITY = re.compile(r"(?i)^\d+(?:[.,]\d+)*[a-z]{1,4}$|^\d+(?:[.,]\d+)*x\d+$")
CLASSIFICATION = re.compile(r"^[A-Z]\d{2}(?:\.[0-9A-Z]{1,4})?$")  # ICD-10 "J45.909"
HEX = re.compile(r"^(?:0x[0-9a-fA-F]+|[0-9a-f]{7,64})$")
UUID = re.compile(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FILE_EXT = re.compile(
    r"(?i)\.(?:pdf|docx?|xlsx?|csv|txt|json|ya?ml|py|js|ts|png|jpe?g|gif|zip|tar|gz|log|html?|"
    r"md|xml|sql|sh|exe|dll|so|bin|iso|mp[34]|wav|mov|avi)$"
)
# python-stdnum modules of national identity and tax numbers (checksum-validated)
STDNUM_MODULES = (
    "fr.nir",
    "fr.nif",
    "es.dni",
    "es.nie",
    "es.nif",
    "de.idnr",
    "de.svnr",
    "it.codicefiscale",
    "nl.bsn",
    "be.nn",
    "pl.pesel",
    "pt.nif",
    "se.personnummer",
    "dk.cpr",
    "fi.hetu",
    "no.fodselsnummer",
    "ch.ssn",
    "gb.nino",
    "ie.pps",
    "ca.sin",
    "br.cpf",
    "mx.curp",
    "cn.ric",
    "in_.aadhaar",
    "in_.pan",
    "us.itin",
)
HAS_STDNUM = importlib.util.find_spec("stdnum") is not None


@lru_cache(maxsize=1)
def _stdnum_checks() -> tuple:
    mods = []
    for name in STDNUM_MODULES:
        try:
            mods.append(importlib.import_module(f"stdnum.{name}"))
        except ImportError:  # an older stdnum without this country
            continue
    return tuple(mods)


@lru_cache(maxsize=8192)
def national_id(value: str) -> str | None:
    """The stdnum module name that validates ``value`` (a checksum or a strict format)."""
    if not HAS_STDNUM:
        return None
    compact = re.sub(r"[\s.\-/]", "", value)
    if not 8 <= len(compact) <= 20 or sum(c.isdigit() for c in compact) < 6:
        return None
    for mod in _stdnum_checks():
        try:
            if mod.is_valid(compact):
                return mod.__name__.removeprefix("stdnum.")
        except Exception:  # stdnum raises on odd input in a few modules
            continue
    return None


def _counts(token: str) -> tuple[int, int]:
    return sum(c.isdigit() for c in token), sum(c.isalpha() for c in token)


def looks_public(token: str) -> bool:
    """A version, date, time, quantity, hex literal, file name or public standard."""
    return bool(
        VERSION.match(token)
        or DATE_LIKE.match(token)
        or QUANTITY.match(token)
        or HEX.match(token)
        or CLASSIFICATION.match(token)
        or FILE_EXT.search(token)
        or PUBLIC_PREFIX.match(token)
    )


def cued_id(token: str) -> bool:
    digits, letters = _counts(token)
    if token.isdigit():  # "order 150 units" is a quantity; "customer 4471923" an ID
        return len(token) >= 5
    if digits >= 3 and not DATE_LIKE.match(token) and not QUANTITY.match(token):
        return not (HEX.match(token) and token.startswith("0x"))
    return bool(digits and letters and len(token) >= 5 and not looks_public(token))


def uncued_id(token: str) -> bool:
    digits, letters = _counts(token)
    if UUID.match(token):
        return True
    if digits < 5 or len(token) < 7 or looks_public(token):
        return False
    if letters:
        return True
    # digits only: needs a letter-free structure that is neither a number nor a phone
    return False


@register_detector
class IdentifierDetector(Detector):
    """ID codes (ID_CODE), case numbers (CASE_NUMBER) and national IDs (NATIONAL_ID)."""

    name = "ids"
    structured = True

    def detect(self, text: str) -> list[Span]:
        out: list[Span] = []
        out.extend(self._cases(text))
        for rx in (TOKEN, SPACED):
            for m in rx.finditer(text):
                start, end = m.span("t")
                token = m.group("t").rstrip(".:")
                end = start + len(token)
                if not token:
                    continue
                span = self._classify(text, start, end, token, spaced=rx is SPACED)
                if span is not None:
                    out.append(span)
        return out

    def _classify(self, text: str, start: int, end: int, token: str, *, spaced: bool):
        before = text[max(0, start - 48) : start]
        cued = ID_CUE.search(before) is not None
        kind = national_id(token)
        if kind is not None:
            digits, letters = _counts(token)
            strong = letters or not token.isdigit() or len(token) >= 11
            score = 0.85 if cued or strong else 0.45
            return Span(start, end, "NATIONAL_ID", score, self.name)
        if spaced:
            return Span(start, end, "ID_CODE", 0.8, self.name) if cued else None
        if cued and cued_id(token):
            marker = MARKER.search(before[-8:])
            if marker is not None:  # "No. 1:19-cv-02345": the marker belongs to the number
                start -= len(before[-8:]) - marker.start()
            return Span(start, end, "ID_CODE", 0.85, self.name)
        if uncued_id(token):
            return Span(start, end, "ID_CODE", 0.65, self.name)
        return None

    def _cases(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in CASE_VALUE.finditer(text):
            start, end = m.span("v")
            before = text[max(0, start - 40) : start]
            if CASE_CUE.search(before) is None:
                continue
            value = m.group("v")
            if DATE_LIKE.match(value) or re.fullmatch(r"\d{1,2}/\d{1,2}", value):
                continue
            if sum(c.isdigit() for c in value) < 4:
                continue
            if VERSION.match(value) and "/" not in value and ":" not in value:
                if not re.search(r"(?i)\bref\.?\s*$", before):
                    continue  # "decision 2.1" reads as a version; "ref. 164.9" is a file
            marker = MARKER.search(before)
            if marker is not None:
                start = start - (len(before) - marker.start())
            out.append(Span(start, end, "CASE_NUMBER", 0.9, self.name))
        for m in REGISTER.finditer(text):
            out.append(Span(m.start(), m.end(), "CASE_NUMBER", 0.75, self.name))
        for m in BARE_CASE.finditer(text):
            window = text[max(0, m.start() - 120) : m.end() + 60]
            score = 0.7 if LEGAL_CONTEXT.search(window) else 0.4
            start = m.start()
            marker = MARKER.search(text[max(0, start - 8) : start])
            if marker is not None:
                start -= len(text[max(0, start - 8) : start]) - marker.start()
            out.append(Span(start, m.end(), "CASE_NUMBER", score, self.name))
        return out
