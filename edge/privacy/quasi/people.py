"""Quasi-identifiers about who a person is: employer, street, nationality, ethnicity, religion,
medical conditions and education (tables in ``tables.yaml``, ``docs/reid.md``).

``find(tables, text)`` returns ``Finding``s like ``extract``'s. Each value counts only when the
clause it sits in says it about someone: a cue ("I work at", "je suis", "my son has", "ich
wohne") between the clause start and the value. "What is cystic fibrosis?" or "Is Google
hiring?" costs nothing. The cue links the finding to its subject: the writer (attribute
``employer``), a relative named in the clause (``employer:daughter``) or someone else
(``employer:other``), so facts about two people are not merged into one.

Ladders (most specific first; hiding comes after the last level, in the budget):

- employer -> its sector ("a technology company"); an unlisted employer has only its name;
- street -> "a street" (the city stays, and climbs its own ladder: city -> region -> country);
- nationality -> continent ("European"); ethnicity -> hidden; denomination -> religion
  ("Catholic" -> "Christian") -> hidden;
- condition -> category ("a genetic condition");
- degree with subject -> degree -> "a university degree"; institution -> "a university".

The generalized text is English. A finding cued in French, Spanish or German keeps only its
exact level, so the budget hides it (a vault placeholder, restored in the answer) rather than
write English into the sentence.
"""

from __future__ import annotations

import re
from functools import cache

from privsplit.edge.privacy.quasi.findings import Finding, Level
from privsplit.edge.privacy.quasi.tables import Tables, bits

_CLAUSE_END = re.compile(r"[.!?;\n]")
_RELATIONS = {  # the word as written -> the relation it names (attribute suffix)
    **{
        w: w for w in "daughter son wife husband partner sister brother mother father child".split()
    },
    **{"mum": "mother", "mom": "mother", "dad": "father", "friend": "friend", "boss": "boss"},
    **{"colleague": "colleague", "girlfriend": "partner", "boyfriend": "partner"},
    **{"fille": "daughter", "fils": "son", "femme": "wife", "mari": "husband", "sœur": "sister"},
    **{"frère": "brother", "mère": "mother", "père": "father", "ami": "friend", "amie": "friend"},
    **{
        "hija": "daughter",
        "hijo": "son",
        "esposa": "wife",
        "esposo": "husband",
        "marido": "husband",
    },
    **{"hermana": "sister", "hermano": "brother", "madre": "mother", "padre": "father"},
    **{"tochter": "daughter", "sohn": "son", "frau": "wife", "mann": "husband", "vater": "father"},
    **{"schwester": "sister", "bruder": "brother", "mutter": "mother", "freundin": "friend"},
}
_RELATION_RE = re.compile(
    r"\b(?:my|our|mon|ma|mes|mi|mis|mein|meine|meiner|meinem|meinen)\s+(?P<rel>\w+)", re.I
)
# per language: the cues that a clause is about the writer, one regex per attribute family
_SELF = {
    "en": r"\bI\b|\bI'm\b|\bI've\b|\bmy\b|\bme\b|\bwe\b|\bwe're\b|\bour\b",
    "fr": r"\bje\b|\bj'|\bmon\b|\bma\b|\bmes\b|\bmoi\b|\bm'",
    "es": r"\byo\b|\bsoy\b|\btengo\b|\bvivo\b|\btrabajo\b|\bmi\b|\bmis\b|\bme\b|\bestudi[eé]\b",
    "de": r"\bich\b|\bmein\w*\b|\bmir\b|\bmich\b|\bwir\b",
}
_FILL = r"(?:\s+(?:an?|the|mild|severe|early[- ]onset|rare|form\s+of|type\s+of|kind\s+of))*\s+$"
_CUES = {  # a cue ends right before the value unless the family reads the whole clause
    "employer": {
        "en": r"\b(?:work(?:s|ed|ing)?|employed|employee|hired|intern(?:s|ed|ing)?|job)\s+"
        r"(?:at|for|by|with)\s+$|\bemployer(?:\s+is|,)?\s+$",
        "fr": r"\btravaill\w*\s+(?:chez|pour)\s+$|\bemployée?\s+(?:chez|par)\s+$",
        "es": r"\btrabaj\w*\s+(?:en|para)\s+$",
        "de": r"\barbeite\w*\s+(?:bei|für)\s+$|\bangestellt\s+bei\s+$",
    },
    "street": {  # anywhere in the clause
        "en": r"\b(?:live[sd]?|living|reside[sd]?|moved|address|home|house|flat|apartment)\b",
        "fr": r"\bhabit\w*|\bvi[st]\b|\bdemeur\w*|\badresse\b|\bdomicile\b",
        "es": r"\bviv\w+|\bdirecci[oó]n\b|\bdomicilio\b|\bresid\w+",
        "de": r"\bwohn\w*|\badresse\b|\banschrift\b",
    },
    "identity": {  # nationality, ethnicity, religion: "I am ...", "my wife is ..."
        "en": r"(?:\bI'm|\bI\s+am|\bas\s+an?|\bwe're|\bwe\s+are|\bmy\s+\w+\s+(?:is|was)|\bof)"
        r"(?:\s+(?:an?|proud|practi[cs]ing|devout|observant|lapsed|half|born))*\s+$"
        r"|\b(?:nationality|citizenship)\s+(?:is\s+)?$|\b(?:hold|have)\s+an?\s+$",
        "fr": r"(?:\bje\s+suis|\bsommes|\b(?:mon|ma)\s+\w+\s+est|\bd'origine|\bde\s+nationalit[ée])"
        r"(?:\s+(?:une?|fière?))*\s+$",
        "es": r"(?:\bsoy|\bsomos|\bmi\s+\w+\s+es|\bde\s+origen|\bde\s+nacionalidad)"
        r"(?:\s+(?:una?|orgullos[oa]))*\s+$",
        "de": r"(?:\bich\s+bin|\bwir\s+sind|\bmein\w*\s+\w+\s+ist)(?:\s+(?:eine?|stolze?r?))*\s+$",
    },
    "condition": {
        "en": r"\b(?:have|has|had|got|diagnosed\s+with|suffer(?:s|ed|ing)?\s+from|liv(?:e[sd]?|ing)"
        r"\s+with|carrier\s+of|positive\s+for|my|our)" + _FILL,
        "fr": r"(?:\bj'ai|\b(?:il|elle)\s+a|\batteinte?\s+d[eu']|\bdiagnostiqu\w*|\bsouffr\w*\s+d[eu']"
        r"|\bmon|\bma)(?:\s*(?:une?|la|le|l'|d'|de|du))*\s*$",
        "es": r"\b(?:tengo|tiene|padezco|padece|sufro\s+de|sufre\s+de|diagnosticaron|diagnosticad[oa]"
        r"\s+con|mi)(?:\s+(?:una?|la|el|de))*\s+$",
        "de": r"\b(?:habe|hat|leide\s+an|leidet\s+an|mein\w*|bei\s+mir\s+wurde)"
        r"(?:\s+(?:eine?n?|die|der|an))*\s+$",
    },
    "degree": {
        "en": r"\b(?:have|has|hold|holds|did|got|earned|completed|finished|doing|pursuing|"
        r"studying\s+for|with|my|our)\s+$",
        "fr": r"\b(?:j'ai|titulaire\s+d'|prépare|mon)(?:\s*(?:une?|la|le|d'))*\s*$",
        "es": r"\b(?:tengo|hice|hago|estoy\s+haciendo|mi)(?:\s+(?:una?|el|la))*\s+$",
        "de": r"\b(?:habe|mache|mein\w*)(?:\s+(?:eine?n?|den|die|das))*\s+$",
    },
    "school": {  # anywhere in the clause (German puts "studiert" last)
        "en": r"\b(?:stud(?:y|ies|ied|ying|ents?)|graduat\w*|alumn\w*|degree|PhD|MBA|attend\w*"
        r"|enrolled|admitted|lecturer)\b",
        "fr": r"\b(?:étudi\w*|diplôm\w*|ancien(?:ne)?\s+élève|admise?)\b",
        "es": r"\b(?:estudi\w*|gradu\w*|egresad\w*)\b",
        "de": r"\b(?:studier\w*|studium|abschluss|promovier\w*)\b",
    },
}
_WHOLE_CLAUSE = frozenset({"street", "school"})
_REACH = 200  # a clause longer than this is read this far from the value
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an|the)\s+$", re.I)
_FOLLOWERS = (  # what may follow an identity word ("I'm French and...", "a Jewish mother")
    r"(?=\s*(?:[,.;:!?)]|$|\s(?:and|but|so|or|too|myself|by|from|who|with|if|living|born|et|y|und"
    r"|woman|man|person|guy|girl|boy|citizen|national|passport|family|descent|origin|heritage"
    r"|background|convert|mother|father|parent|student|priest|nun|monk|teacher|nurse|doctor)\b))"
)
_STREET_EN = re.compile(
    r"\b(?:\d{1,4}[a-z]?,?\s+)?(?:[A-Z][\w'-]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane"
    r"|Boulevard|Blvd|Drive|Way|Place|Close|Crescent|Terrace|Gardens|Square|Grove|Mews|Row)\b\.?"
)
_STREET_FR = re.compile(
    r"\b(?:\d{1,4}(?:\s?bis)?,?\s+)?(?:rue|avenue|boulevard|impasse|allée|chemin|quai|place)"
    r"\s+(?:de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+|d')?[A-ZÉ][\w'-]+(?:[\s-][A-ZÉ][\w'-]+)*"
)
_STREET_ES = re.compile(
    r"\b(?:calle|avenida|paseo|plaza|carrer|camino)\s+(?:de\s+(?:la\s+|los\s+|las\s+)?|del\s+)?"
    r"[A-ZÁÉÍÓÚ][\w'-]+(?:\s+[A-ZÁÉÍÓÚ][\w'-]+)*(?:,?\s+\d{1,4})?"
)
_STREET_DE = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|weg|gasse|allee|platz|damm)\b(?:\s+\d{1,4}[a-z]?)?"
)
_STREET_GENERIC = {"en": "a street", "fr": "une rue", "es": "una calle"}
_UNKNOWN_ORG = re.compile(r"[A-Z][\w&'-]*(?:\s+(?:&\s+|of\s+)?[A-Z][\w&'-]*){0,3}")
_UNKNOWN_SCHOOL = re.compile(
    r"(?:the\s+)?(?:University\s+of\s+[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?|[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?"
    r"\s+(?:University|College|Institute\s+of\s+Technology)|Universit(?:é|y|ad|ät)\s+(?:de\s+|d')?"
    r"[A-Z][\w-]+)"
)
_NOT_ORG = frozenset(
    "Home Monday Tuesday Wednesday Thursday Friday Saturday Sunday The A An I My Our".split()
)


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


def _word_re(names: list[str], flags: int = 0, tail: str = r"(?![\w-])") -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'-])(?:{_alternation(names)}){tail}", flags)


@cache
def _compiled() -> dict:
    t = Tables.load()
    m = t.more
    identity: dict[str, tuple[str, str]] = {}  # casefolded name -> (kind, key)
    for key, (_, _, names) in m.nationalities.items():
        identity.update({n.casefold(): ("NATIONALITY", key) for n in names})
    for key, (_, demonym) in m.continents.items():
        identity[demonym.casefold()] = ("NATIONALITY", f"continent:{key}")
    for key, (_, names) in m.ethnicities.items():
        identity.update({n.casefold(): ("ETHNICITY", key) for n in names})
    for key, (_, _, names) in m.religions.items():
        identity.update({n.casefold(): ("RELIGION", key) for n in names})
    # casefolded name -> (key, the name as listed: an acronym must be written in capitals)
    conditions = {n.casefold(): (key, n) for key, (_, _, ns) in m.conditions.items() for n in ns}
    degrees = {n.casefold(): key for key, (_, _, ns) in m.degrees.items() for n in ns}
    schools = {n.casefold(): key for key, (_, ns) in m.institutions.items() for n in ns}
    subject = (
        r"(?:\s+in\s+(?P<subject>[^\W\d][\w-]*(?:\s+(?!from\b|at\b|and\b)[^\W\d][\w-]*){0,2}))?"
    )
    return {
        "identity": identity,
        "identity_re": _word_re(list(identity), re.I, _FOLLOWERS),
        "conditions": conditions,
        "conditions_re": _word_re(list(conditions), re.I),
        "degrees": degrees,
        "degrees_re": re.compile(
            rf"(?:\b(?P<art>an?|my)\s+)?(?<![\w-])(?P<deg>{_alternation(list(degrees))})"
            rf"(?![\w-]){subject}",
            re.I,
        ),
        "schools": schools,
        "schools_re": _word_re([n for _, ns in m.institutions.values() for n in ns]),
        "employers": {n.casefold(): n for n in m.employers},
        "employers_re": _word_re(list(m.employers)),
        "places": frozenset(x.casefold() for x in (*t.cities, *t.regions, *t.countries)),
        "cities_re": _word_re(list(t.cities)),
        "cues": {a: {k: re.compile(rx, re.I) for k, rx in by.items()} for a, by in _CUES.items()},
        "self": {lang: re.compile(rx, re.I) for lang, rx in _SELF.items()},
    }


def _clause(text: str, start: int) -> tuple[int, int]:
    """The bounds of the clause holding ``start`` (at most _REACH characters each way)."""
    low = max(0, start - _REACH)
    begin = max((m.end() for m in _CLAUSE_END.finditer(text, low, start)), default=low)
    end = _CLAUSE_END.search(text, start, start + _REACH)
    return begin, end.start() if end else min(len(text), start + _REACH)


def _about(c: dict, text: str, start: int, end: int, family: str) -> tuple[str, str] | None:
    """(language of the cue, subject) when the clause says the value at ``start:end`` about the
    writer or a relative; None when it is not said about them (a question, someone else)."""
    begin, stop = _clause(text, start)
    window, after = text[begin:start], text[end:stop]
    cue_window = f"{window} {after}" if family in _WHOLE_CLAUSE else window
    for lang, cue in c["cues"][family].items():
        if not cue.search(cue_window):
            continue
        rel = [_RELATIONS.get(m.group("rel").casefold()) for m in _RELATION_RE.finditer(window)]
        rel = [r for r in rel if r]
        if rel:  # "my son was diagnosed with ..."
            return lang, rel[-1]
        if c["self"][lang].search(f"{window} {after}"):  # "As a Catholic, I ..."
            return lang, "self"
        return None  # someone else: not the person of this conversation
    return None


def _attribute(name: str, subject: str) -> str:
    return name if subject == "self" else f"{name}:{subject}"


def _employers(t: Tables, c: dict, text: str) -> list[Finding]:
    m, out = t.more, []
    found = [(x.start(), x.end(), x.group(0)) for x in c["employers_re"].finditer(text)]
    taken = [(s, e) for s, e, _ in found]
    for x in _UNKNOWN_ORG.finditer(text):  # an unlisted employer: only right after a cue
        name = x.group(0).rstrip(".")
        if name.split()[0] in _NOT_ORG or name.casefold() in c["places"]:
            continue
        if any(s < x.start() + len(name) and x.start() < e for s, e in taken):
            continue
        window = text[max(0, x.start() - 40) : x.start()]
        if not any(cue.search(window) for cue in c["cues"]["employer"].values()):
            continue
        found.append((x.start(), x.start() + len(name), name))
    for start, end, written in found:
        if start >= 4 and text[start - 4 : start].casefold() == "the ":
            start, written = start - 4, text[start - 4 : end]  # "the NHS" reads "a health service"
        about = _about(c, text, start, end, "employer")
        if about is None:
            continue
        name = c["employers"].get(written.removeprefix("the ").removeprefix("The ").casefold())
        if name is None:
            ladder: tuple[Level, ...] = (
                Level(written, bits(m.unknown_employer / t.world), "exact"),
            )
        else:
            sector, employees = m.employers[name]
            share, noun = m.sectors[sector]
            ladder = (Level(written, bits(employees / t.world), "exact"),)
            if about[0] == "en":
                ladder += (Level(noun, bits(share), "sector"),)
        attribute = _attribute("employer", about[1])
        out.append(Finding("EMPLOYER", start, end, written, attribute, ladder))
    return out


def _streets(t: Tables, c: dict, text: str) -> list[Finding]:
    s, out = t.more.street, []
    for lang, rx in (
        ("en", _STREET_EN),
        ("fr", _STREET_FR),
        ("es", _STREET_ES),
        ("de", _STREET_DE),
    ):
        for x in rx.finditer(text):
            written = x.group(0).rstrip(".,")
            end = x.start() + len(written)
            about = _about(c, text, x.start(), end, "street")
            if about is None:
                continue
            numbered = written[:1].isdigit() or written[-1:].isdigit()
            people = s["household"] if numbered else s["street_residents"]
            city = c["cities_re"].search(text, *_clause(text, x.start()))
            if city:  # the street within its city: the city's own finding pays for the city
                b = bits(people / t.cities[city.group(0)][1])
            else:  # a street name alone: assumed shared by street_name_towns towns
                b = bits(people * s["street_name_towns"] / t.world)
            ladder: tuple[Level, ...] = (Level(written, b, "street"),)
            if lang in _STREET_GENERIC:
                ladder += (Level(_STREET_GENERIC[lang], 0.0, "city"),)
            attribute = _attribute("street", about[1])
            out.append(Finding("STREET", x.start(), end, written, attribute, ladder))
    return out


def _identity(t: Tables, c: dict, text: str) -> list[Finding]:
    m, out = t.more, []
    names = {"NATIONALITY": "nationality", "ETHNICITY": "ethnicity", "RELIGION": "religion"}
    for x in c["identity_re"].finditer(text):
        kind, key = c["identity"][x.group(0).casefold()]
        descent = re.match(
            r"\s+(?:descent|origin|heritage|background)\b", text[x.end() : x.end() + 20], re.I
        )
        before = text[_clause(text, x.start())[0] : x.start()]
        if re.search(r"\bof\s+$", before, re.I) and not descent:
            continue  # "of" reads an origin only in "of Korean descent"
        about = _about(c, text, x.start(), x.end(), "identity")
        if about is None:
            continue
        lang = about[0]
        if descent and kind == "NATIONALITY":
            kind = "ETHNICITY"
        ladder: tuple[Level, ...]
        if key.startswith("continent:"):
            pop, _ = m.continents[key.split(":", 1)[1]]
            ladder = (Level(x.group(0), bits(pop / t.world), "continent"),)
        elif key in m.nationalities:
            continent, pop, _ = m.nationalities[key]
            cpop, demonym = m.continents[continent]
            ladder = (Level(x.group(0), bits(pop / t.world), "exact"),)
            if lang == "en":
                ladder += (Level(demonym, bits(cpop / t.world), "continent"),)
        elif kind == "ETHNICITY":
            ladder = (Level(x.group(0), bits(m.ethnicities[key][0]), "exact"),)
        else:
            share, religion, _ = m.religions[key]
            ladder = (Level(x.group(0), bits(share), "exact"),)
            if religion is not None and lang == "en":
                ladder += (Level(religion, bits(m.religions[religion][0]), "religion"),)
        attribute = _attribute(names[kind], about[1])
        out.append(Finding(kind, x.start(), x.end(), x.group(0), attribute, ladder))
    return out


def _conditions(t: Tables, c: dict, text: str) -> list[Finding]:
    m, out = t.more, []
    for x in c["conditions_re"].finditer(text):
        key, listed = c["conditions"][x.group(0).casefold()]
        if listed.isupper() and not x.group(0).isupper():
            continue  # "als", "hiv" in lower case: a word, not the acronym
        about = _about(c, text, x.start(), x.end(), "condition")
        if about is None:
            continue
        people, category, _ = m.conditions[key]
        share, noun = m.categories[category]
        ladder: tuple[Level, ...] = (Level(x.group(0), bits(people / t.world), "exact"),)
        if about[0] == "en":
            ladder += (Level(noun, bits(share), "category"),)
        attribute = _attribute("condition", about[1])
        out.append(Finding("MEDICAL_CONDITION", x.start(), x.end(), x.group(0), attribute, ladder))
    return out


def _degrees(t: Tables, c: dict, text: str) -> list[Finding]:
    m, out = t.more, []
    for x in c["degrees_re"].finditer(text):
        start = x.start("art") if x.group("art") else x.start("deg")
        about = _about(c, text, start, x.end(), "degree")
        if about is None:
            continue
        share, after, _ = m.degrees[c["degrees"][x.group("deg").casefold()]]
        art = x.group("art") or ""
        written = text[start : x.end()]
        ladder: list[Level] = []
        if x.group("subject"):
            ladder.append(Level(written, bits(share) + m.subject_bits, "exact"))
        ladder.append(Level(f"{art} {x.group('deg')}".strip(), bits(share), "degree"))
        if after is not None:
            article = "my" if art.casefold() == "my" else "a"
            text_after = after.replace("a ", f"{article} ", 1)
            ladder.append(Level(text_after, bits(m.university_share), "university"))
        if about[0] != "en":
            ladder = ladder[:1]
        attribute = _attribute("education", about[1])
        out.append(Finding("EDUCATION", start, x.end(), written, attribute, tuple(ladder)))
    return out


def _schools(t: Tables, c: dict, text: str) -> list[Finding]:
    m, out = t.more, []
    found = [(x.start(), x.end()) for x in c["schools_re"].finditer(text)]
    found += [
        (x.start(), x.end())
        for x in _UNKNOWN_SCHOOL.finditer(text)
        if not any(s < x.end() and x.start() < e for s, e in found)
    ]
    for start, end in found:
        if text[max(0, start - 4) : start].casefold() == "the ":
            start -= 4  # "the University of Leeds" reads "a university"
        about = _about(c, text, start, end, "school")
        if about is None:
            continue
        written = text[start:end]
        key = c["schools"].get(re.sub(r"^the\s+", "", written, flags=re.I).casefold())
        alumni = m.institutions[key][0] if key else m.unknown_institution
        ladder: tuple[Level, ...] = (Level(written, bits(alumni / t.world), "exact"),)
        if about[0] == "en":  # "a Harvard graduate" -> "a university graduate"
            noun = "university" if _ARTICLE_BEFORE.search(text, 0, start) else "a university"
            ladder += (Level(noun, bits(m.university_share), "university"),)
        attribute = _attribute("school", about[1])
        out.append(Finding("EDUCATION", start, end, written, attribute, ladder))
    return out


def find(t: Tables, text: str) -> list[Finding]:
    """The findings of this module in ``text`` (unsorted, may overlap; ``extract`` resolves)."""
    c = _compiled()
    return [
        *_employers(t, c, text),
        *_streets(t, c, text),
        *_identity(t, c, text),
        *_conditions(t, c, text),
        *_degrees(t, c, text),
        *_schools(t, c, text),
    ]
