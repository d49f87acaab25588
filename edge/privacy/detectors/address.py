"""Street addresses, from their grammar rather than from lists of places.

An address has a *core* (a house number next to a street name that carries a street word in
one of several languages, "Rua Diadema 1903", "11 Botley Road", "Ziegelgasse 19", a PO box
or military box, or a "Name 12" phrase right after an address cue such as "lives at") and a
*tail* that is greedily absorbed: units ("Apt. 5", "Suite 845"), postal codes, and city,
region and country names separated by commas or line breaks. "The corner of A and B" is one
address. The street words are the ordinary vocabulary of addresses (USPS suffixes and their
equivalents in other European languages); no generated names are used.
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

NUM = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
# a house number starts a token: not the tail of "NU-DL-4815577" or "AB12"
NUM0 = rf"(?<![\p{{L}}\d-]){NUM}"
CAP = r"(?:\p{Lu}[\p{L}\p{M}'’.-]*)"
WORD = r"(?:\p{L}[\p{L}\p{M}'’.-]*)"
STREET_TYPE = (
    r"(?i:Street|St|Road|Rd|Avenue|Ave|Av|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|"
    r"Place|Pl|Terrace|Ter|Close|Crescent|Cres|Square|Sq|Parkway|Pkwy|Highway|Hwy|Route|"
    r"Rte|Bypass|Gateway|Circle|Cir|Trail|Trl|Alley|Row|Walk|Gardens|Grove|Mews|Rise|"
    r"Loop|Plaza|Expressway|Freeway|Turnpike|Pike|Crossing|Wharf|Quay|Esplanade|"
    r"Promenade|Causeway|Junction|Heights|Hollow|Landing|Meadow|Meadows|Ridge|Point|"
    r"Port|Summit|Vista|Villas?|Estates?|Flats?|Club|Manor|Harbor|Harbour|Centre|Center|"
    r"Park|Green|Hill|Hills|Fork|Forks|Mill|Mills|Springs?|Valley|View|Brook|Creek)\.?"
)
STREET_PREFIX = (
    r"(?:Rua|Rue|Via|Viale|Vicolo|Piazza|Piazzale|Largo|Corso|Calle|Carrer|Avenida|Avda\.?|"
    r"Av\.|Paseo|Camino|Carretera|Travessa|Praça|Praca|Estrada|Alameda|Chemin|Allée|Allee|"
    r"Quai|Impasse|Ul\.|ul\.|ulica|Ulica|al\.|Al\.|aleja|Aleja|os\.|pl\.|plac|Plac|"
    r"Strada|Calea|Bulevardul|Str\.|Ulitsa|ulitsa|Quadra|Rambla|Ronda|Plaza|Cesta|Trg|"
    r"Odos|Leoforos|Boulevard|Avenue|Route|Place|Sentiero|Contrada|Loc\.|Rruga|Sokak|Caddesi)"
)
SUFFIX_WORD = (
    r"(?:\p{L}[\p{L}\p{M}'’-]*(?:straße|strasse|str\.|gasse|weg|platz|allee|ring|damm|ufer|"
    r"steig|pfad|chaussee|markt|katu|tie|kuja|polku|väylä|vej|gade|gata|gatan|vägen|väg|"
    r"veien|vei|gate|laan|straat|plein|gracht|kade|dreef|singel|steeg|utca|körút|iela|"
    r"gatve|tänav|puiestee|ulica|cesta)|tér|utca|út|sor|körút|sétány|köz|"
    r"gade|vej|gata|tie|katu|mnt\.?)"
)
CUE = (
    r"(?:lives?\s+(?:at|on|in)|living\s+(?:at|on)|address(?:es)?(?:\s+is)?\s*:?|located\s+at|"
    r"corner\s+of|ship(?:ped)?\s+(?:it\s+)?to|deliver(?:ed)?\s+(?:it\s+)?to|send\s+.{0,30}?\s+to|"
    r"meet\s+me\s+at|stop\s+at|return\s+to|moved\s+to|resides?\s+at|office\s+is\s+at|is\s+at|"
    r"stay(?:ing)?\s+at|mail\s+(?:it\s+)?to)"
)

_SP = r"[ \t]+"
CORES = [
    # 12 Main Street / 257 81 Thornton St / 12 Rua X Y
    (
        rf"{NUM0}(?:{_SP}{NUM})?{_SP}(?:{WORD}{_SP}){{0,4}}?{CAP}{_SP}{STREET_TYPE}(?![\p{{L}}])",
        0.9,
    ),
    # (12) Rua Cyro Schmutzer Franco 1213 / ul. Grochowa 80 / 36 rue de pologne
    (rf"(?:{NUM}{_SP})?{STREET_PREFIX}{_SP}(?:{WORD}{_SP}){{0,4}}?{NUM}(?![\p{{L}}\d])", 0.9),
    (rf"{NUM0}{_SP}{STREET_PREFIX}(?:{_SP}{WORD}){{1,4}}", 0.85),
    # 20789 Allika 46 Suite 501 / 0605 πεντέλης 210 apt. 999: number, name, number, unit
    (rf"{NUM0}{_SP}{WORD}(?:{_SP}{WORD}){{0,3}}{_SP}{NUM}(?=[ \t]*[,\n]?[ \t]*{{UNIT}})", 0.8),
    # 4241 Steinfelden 73 at the end of a line or before ", City"
    (
        rf"(?<![\p{{L}}\d.,:/-]){NUM}{_SP}{CAP}(?<=\p{{L}}{{2}})(?:{_SP}{WORD}){{0,3}}{_SP}{NUM}(?=[ \t]*(?:\n|,[ \t]*\p{{Lu}}|$))",
        0.75,
    ),
    # Ziegelgasse 19 / 2519 Semperweg 150 / Erzsébet tér 19.
    (rf"(?:{NUM}{_SP})?(?:{CAP}{_SP}){{0,2}}{SUFFIX_WORD}{_SP}{NUM}(?![\p{{L}}\d])", 0.9),
    # PO boxes and military addresses
    (r"(?:P\.?\s?O\.?\s*Box|Post\s+Office\s+Box)\s+\d{1,7}", 0.9),
    (
        r"(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{3,5}(?:\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?",
        0.95,
    ),
    (r"(?<![\p{L}])(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}", 0.9),
]
# After an address cue, a capitalised name next to a number is a street ("Kuusiku 7").
CUED = [
    (
        rf"(?<=\b{CUE}{_SP}(?:the{_SP}corner{_SP}of{_SP})?)(?:{NUM}{_SP})?{CAP}(?:{_SP}{CAP}){{0,3}}{_SP}{NUM}(?![\p{{L}}\d])",
        0.75,
    ),
    (
        rf"(?<=\b{CUE}{_SP}(?:the{_SP}corner{_SP}of{_SP})?){NUM}{_SP}{CAP}(?:{_SP}{CAP}){{0,3}}",
        0.75,
    ),
]
UNIT = r"(?i:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Fl\.?|Floor|Room|Rm\.?|Bldg\.?|Building|Box|#)\s*#?\s*\d{1,6}[A-Za-z]?"
POSTAL = (
    r"(?:\d{2,6}(?:[ -]\d{2,4})?|\p{Lu}{1,2}\d[\p{Lu}\d]?\s?\d\p{Lu}{2}|\p{Lu}\d\p{Lu}\s?\d\p{Lu}\d|"
    r"\d{4}\s?\p{Lu}{2})(?![\p{L}\d])"
)
PLACE_CAP = (
    rf"{CAP}(?:[ \t]+(?:{CAP}|(?:de|del|da|do|di|la|le|les|am|an|der|im|upon|on|sur|en)"
    rf"(?![\p{{L}}\d]))){{0,3}}"
)
PLACE_ANY = rf"{WORD}(?:[ \t]+{WORD}){{0,2}}"
STANDALONE_UNIT = (rf"(?<![\p{{L}}\d]){UNIT}(?![\p{{L}}\d])", 0.55)
STOP = frozenset(
    {
        "and",
        "or",
        "but",
        "in",
        "for",
        "to",
        "the",
        "a",
        "an",
        "with",
        "is",
        "was",
        "i",
        "if",
        "on",
        "at",
        "from",
        "please",
        "thanks",
        "thank",
        "my",
        "your",
        "when",
        "where",
        "who",
        "what",
        "can",
        "could",
        "will",
        "would",
        "it",
        "we",
        "he",
        "she",
        "they",
        "you",
        "this",
        "that",
        "by",
        "as",
        "of",
        "so",
    }
)

_cores = [(re.compile(p.replace("{UNIT}", UNIT)), s) for p, s in CORES + CUED + [STANDALONE_UNIT]]
_suffix_word = re.compile(SUFFIX_WORD, re.IGNORECASE)
_sep = re.compile(r"(?:[ \t,]|\n[ \t]*[>?*•|]*)*")
_unit = re.compile(UNIT)
_postal = re.compile(POSTAL)
_place_cap = re.compile(PLACE_CAP)
_place_any = re.compile(PLACE_ANY)
_corner_before = re.compile(r"(?:\bthe\s+)?\bcorner\s+of\s+$", re.IGNORECASE)
_and_street = re.compile(
    rf"\s+(?:and|&)\s+(?:{NUM}\s+)?(?:{STREET_PREFIX}\s+)?{CAP}(?:\s+{CAP}){{0,3}}(?:\s+{STREET_TYPE}|\s+{NUM})?"
)


def _first_word(value: str) -> str:
    return value.split()[0].casefold().rstrip(".,") if value.split() else ""


def _cut_at_stopword(text: str, start: int, end: int) -> tuple[int, int]:
    """Cores may hold lowercase words ("rue de pologne"); a function word ends them."""
    for m in re.finditer(r"\p{L}+", text[start:end]):
        if m.start() > 0 and m.group(0).casefold() in STOP:
            end = start + m.start()
            break
    while end > start and text[end - 1] in " \t\n,":
        end -= 1
    return start, end


def _english_opening(text: str, start: int, end: int) -> bool:
    """The core opens with a common English word written as a street ("During 1971" looks
    like "Kaiserring 19"): no address starts that way."""
    m = re.match(r"\p{L}+", text[start:end])
    return (
        m is not None
        and _suffix_word.fullmatch(m.group(0)) is not None
        and _zipf_en(m.group(0).casefold()) >= 4.0
    )


def _has_letter(text: str, start: int, end: int) -> bool:
    return any(c.isalpha() for c in text[start:end])


_LABEL_AFTER = re.compile(r"[ \t]*:")
COMMON_WORD = 5.0  # Zipf in English of a lowercase word that is grammar, not a place


def _place_piece(text: str, piece: re.Match) -> bool:
    """A unit, postcode or place after an address, not a label ("Mobile:"), not the start of
    a token ("AV" of "AV0681794GU") and not a lowercase English inflection ("tracking")."""
    if _LABEL_AFTER.match(text, piece.end()):
        return False
    nxt = text[piece.end() : piece.end() + 1]
    if nxt and (nxt.isalnum() or nxt == "_"):
        return False
    first = piece.group(0).split()[0].rstrip(".,")
    if not first[0].islower():
        return True
    from privsplit.edge.privacy.detectors.vocabulary import english_word_form

    # "tracking", "shipped": an inflected English word; "hungary", "portugal" are places
    return not (english_word_form(first) or _zipf_en(first) >= COMMON_WORD)


def _zipf_en(word: str) -> float:
    from privsplit.edge.privacy.detectors.terms_wordfreq import zipf

    return zipf(word, "en")


def _extend(text: str, end: int) -> int:
    """Absorb units, postal codes and place names after an address core."""
    for _ in range(8):
        m = _sep.match(text, end)
        if m.group(0).count("\n") > 1:
            break  # a blank line ends the address
        broke = "," in m.group(0) or "\n" in m.group(0)
        pos = m.end()
        if pos >= len(text):
            break
        piece = _unit.match(text, pos) or _postal.match(text, pos)
        if piece is None:
            piece = _place_cap.match(text, pos)
            if piece is not None and _first_word(piece.group(0)) in STOP:
                piece = None
            if piece is None and broke:
                piece = _place_any.match(text, pos)
                if piece is not None and (
                    _first_word(piece.group(0)) in STOP or len(piece.group(0).split()) > 2
                ):
                    piece = None
        if piece is not None and not _place_piece(text, piece):
            piece = None
        if piece is None:
            break
        end = piece.end()
        while end > pos and text[end - 1] in ".'’-":
            end -= 1
    return end


@register_detector
class AddressDetector(Detector):
    """Street addresses, PO/military boxes and intersections, with units, postcodes and places."""

    name = "address"

    def detect(self, text: str) -> list[Span]:
        if not any(c.isdigit() for c in text):
            return []
        found: list[Span] = []
        for rx, score in _cores:
            for m in rx.finditer(text):
                start, end = _cut_at_stopword(text, *m.span())
                if not _has_letter(text, start, end) or _english_opening(text, start, end):
                    continue
                before = _corner_before.search(text, max(0, start - 20), start)
                if before is not None:
                    start = before.start()
                    tail = _and_street.match(text, end)
                    if tail is not None:
                        end = tail.end()
                if score >= 0.75:
                    end = _extend(text, end)
                while end > start and text[end - 1] in " \t\n,":
                    end -= 1
                found.append(Span(start, end, "STREET_ADDRESS", score, self.name))
        return found
