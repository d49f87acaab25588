"""Rare but public: words and codes the rare-term pass (``terms.py``) keeps.

The term pass hides rare words because the names of people, small places and firms are rare.
Some rare words identify no one; this module recognises them by rule, from public sources,
never from one data set's words:

- **English vocabulary in context**: WordNet (``terms_lexicon``, from the English spaCy
  model's lemmatizer tables) tells a unit after a number ("75 mcg") and an adjective before
  a disease word ("atrial fibrillation"). Rare English words are not kept for being in
  WordNet alone: a rare word can be the private part of a request ("shoplifting" as a
  hobby, "petrochemical" as an employer's trade), and WordNet lists famous people.
- **Codes of public registries**, in their registry's format (``public_codes``): ICD-10
  ("E11.9"), CVE and CWE, RFC, ISO/IEC, IEEE and EN standards, PEPs, DOIs, ATC drug codes,
  Oracle's ORA- errors and hexadecimal status codes ("0x80070005"); and a code right after
  or before the word for "error" in several languages ("error E11000", "Fehler 0x…").
  Not when a private identifier's cue stands right before it ("patient ID I48.91",
  "account no. E11.9"): then it is hidden like any code.
- **Eponyms** (``eponym``): a name followed by the kind of public term named after people
  ("Parkinson's disease", "Hashimoto's thyroiditis", "Bayes' theorem", "Turing test"), or
  after it in French, Spanish and German word order ("maladie de Crohn", "Morbus Crohn");
  the possessive form not after a person cue ("my friend Maria's disease"), not in a text
  about someone (pronouns, family words), not for a common given name ("Maria's disease"),
  and before a disease word ("-itis", "-oma") only for a rare name ("Maria's arthritis").
- **Model designations** (``model_designation``): an acronym that English text uses (Zipf
  >= 2) next to a number ("RTX 4090", "BP 142/91", "18.04 LTS"); an ordinary English word
  before a letters-and-digits model code ("Galaxy S23").
- **Python's own names** (``python_library_names``): the public names of its core
  standard-library modules ("dataclass", "lru_cache", "defaultdict"); and a class or
  function name right after a code keyword that is an English word or the clipped start of a
  common one ("class Config", "def handler").
- **Nouns of a language that capitalizes them** (``article_noun``): in German text, a
  capitalized word common in German right after an article ("die übliche Dosis", "einem
  Virus") and not before another capitalized word ("die Beer Reinhardt AG" is a firm).
- **Short codes** (``short_code``): a standalone code of at most 4 letters and digits
  ("PS5", "S23"), not a piece of a longer code ("E48/4282/2003").
- **Imperative verbs** (``imperative``): a capitalized word opening a sentence that WordNet
  lists as a verb, followed by a common word or a quote ("Summarize the…", "Translate 'the…").

Each rule returns whether the word at ``[start, end)`` of ``text`` is public; callers keep it.
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors.terms_lexicon import (
    CLINICAL_WORD,
    clipped_word,
    english_word,
    in_wordnet,
    python_library_names,
)
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf

# registry formats, matched on the text (case-sensitive where the registry is)
REGISTRY = re.compile(
    r"(?<![\w-])(?:"
    r"[A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}"  # ICD-10 with its dot: E11.9, I48.91, S72.001A
    r"|(?i:CVE)-(?:19|20)\d\d-\d{4,7}|(?i:CWE|CAPEC)-\d{1,4}"
    r"|(?:RFC|PEP|BCP|STD)[ ]?\d{1,5}"
    r"|(?:ISO|IEC|IEEE|EN|DIN|BS|NIST|ECMA|ANSI|ASTM|ETSI|ITU-T|W3C)(?:[ /](?:IEC|TR|TS|SP|ISO))*"
    r"[ -]?(?:[A-Z]\.)?\d[\d.:-]*\d?"
    r"|(?i:doi:?\s?)?10\.\d{4,9}/[-._;()/:A-Za-z0-9]+"
    r"|[A-V]\d\d[A-Z][A-Z]\d\d"  # ATC: N02BE01
    r"|ORA-\d{5}|SQLSTATE[ ]?[0-9A-Z]{5}"
    r"|0x[0-9A-Fa-f]{1,16}"  # a hexadecimal literal or status code (not a 40-digit wallet)
    r")(?![\w-])"
)
ERROR_BEFORE = re.compile(
    r"(?i:\b(?:error|err|errno|exception|fault|fehler|fehlercode|erreur|errore|erro|"
    r"error code|status code|exit code|code d'erreur|código de error|codice di errore)"
    r"[ \t]*[:#]?[ \t]*)$"
)
ERROR_AFTER = re.compile(r"(?i:^[ \t]+(?:error|exception|fault)\b)")
CODE_WORD = re.compile(r"(?=[\w-]*\d)[A-Za-z0-9][\w-]*")
# a private identifier's cue right before a code: then the code is hidden whatever its format
PRIVATE_CUE = re.compile(
    r"(?i:\b(?:id|ids|no|nr|num|number|account|acct|member|membership|policy|patient|mrn|"
    r"ticket|order|invoice|customer|client|ref|reference|case|file|passport|licen[cs]e|serial|"
    r"badge|employee|staff|user|username|login|password|pin|iban|card|claim|booking|"
    r"confirmation|tracking|dossier|expediente|aktenzeichen|kundennummer)"
    r"[ \t]*(?:is|was|=)?[ \t]*[:#.]?[ \t]*|#[ \t]*)$"
)
# what is named after people: a possessive before these is an eponym in general text
# ("Parkinson's disease", "Bayes' theorem"), unless the text is about a person (below)
EPONYM_HEADS = (
    "disease|syndrome|sign|palsy|disorder|law|theorem|lemma|conjecture|principle|paradox|"
    "inequality|equation|constant|phenomenon|reflex|triad|anomaly"
)
# disease words by their formation: after a possessive they are far more often someone's
# ("Maria's arthritis"), so only a rare name in a text about no one is read as an eponym
SUFFIX_HEAD = r"[a-z]+(?:itis|osis|oma|emia|aemia|pathy|plasia|trophy)"
PLAIN_HEADS = (
    "test|scale|score|criteria|classification|algorithm|distribution|reaction|maneuver|"
    "manoeuvre|transform|stain|staining"
)
EPONYM_AFTER = re.compile(
    rf"^(?P<possessive>['’]s?)?[ \t]+(?:(?P<generic>(?i:{EPONYM_HEADS}))|(?P<suffix>"
    rf"{SUFFIX_HEAD})|(?P<plain>{PLAIN_HEADS}))\b"
)
# the text speaks about a person: a possessive before a disease word is that person's
ABOUT_A_PERSON = re.compile(
    r"(?i:\b(?:she|he|her|him|his|hers|herself|himself|mom|mum|dad|mother|father|wife|"
    r"husband|son|daughter|brother|sister|friend|grandma|grandpa|grandmother|grandfather|"
    r"aunt|uncle|cousin|boyfriend|girlfriend|partner|baby|child|kid)\b)"
)
GIVEN_NAME = 4.0  # Zipf: names this common ("Maria", "John") are people's, not eponyms
RARE_NAME = 3.0  # Zipf below which a possessive before a disease word may be an eponym
EPONYM_BEFORE = re.compile(
    r"(?i:\b(?:maladie|syndrome|signe|loi|th[ée]or[èe]me|enfermedad|s[íi]ndrome|signo|ley|"
    r"teorema|malattia|morbus|krankheit|syndrom|satz|gesetz)"
    r"[ \t]+(?:de[ \t]+|d['’]|des[ \t]+|del[ \t]+|di[ \t]+|von[ \t]+)?)$"
)
POSSESSIVE_END = re.compile(r"['’]s?$")
PERSON_CUE = re.compile(
    r"(?i:\b(?:my|his|her|our|their|your)[ \t]+(?:\w+[ \t]+)?|\b(?:mr|mrs|ms|miss|dr|prof|"
    r"patient|client|named|called|dear)\.?[ \t]+)$"
)
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"“(*#>•]|\d[.)])[\s\"“'‘(*]*$")
QUOTE = re.compile(r"^[ \t]+[\"“'‘]")
NEXT_WORD = re.compile(r"^[ \t]+([\p{L}]+)")
NUMBER_NEAR = re.compile(r"^[ \t]?\d[\d.,/:x-]*\b")
# a version after a word ("Ubuntu 18.04 LTS"), not a column of figures ("-13,09 AAPL")
NUMBER_BEFORE = re.compile(r"(?:^|\p{L}[ \t]+)v?\d+(?:\.\d+)+[ \t]$")
MODEL_CODE = re.compile(r"^[ \t]+(?=[A-Za-z]{0,3}\d)[A-Za-z]{0,3}\d{1,4}[A-Za-z]?\b")
CODE_KEYWORD = re.compile(
    r"(?:^|[\s(])(?:class|def|struct|interface|enum|func|fn|type|trait|impl)[ \t]+$"
)
# articles (with an optional adjective after them) before a noun, by language
ARTICLE = {
    "de": re.compile(
        r"\b(?i:der|die|das|dem|den|des|ein|eine|einem|einen|einer|eines|kein|keine|"
        r"keinem|keinen|keiner|im|am|zum|zur|vom|beim)[ \t]+(?:\p{Ll}+[ \t]+)?$"
    ),
}
SHORT_CODE = 4
GLUED_BEFORE = re.compile(r"[\w][/\-_.:#]$|[/\-_:#]$")
GLUED_AFTER = re.compile(r"^[/\-_.:#]\w")
CAPITALIZED_NEXT = re.compile(r"^[ \t]*(?:[&-][ \t]*)?\p{Lu}")
ARTICLE_NOUN = 3.0  # Zipf in the text's language of a noun after an article
NUMBER_RIGHT_BEFORE = re.compile(r"\d[ \t]?$")
# what follows an imperative verb and not a name ("Summarize the", "Draft two"): a name
# opening a sentence is followed by its verb ("Hector said"), a verb by its object
OBJECT_START = frozenset(
    "the a an this that these those my your our their his her its all some any each every "
    "one two three four five six seven eight nine ten".split()
)
KNOWN_ACRONYM = 2.0  # Zipf of an acronym that English text uses ("RTX", "LTS", "BP")
COMMON_WORD = 4.0  # Zipf of a product line's word ("Galaxy", "Pixel")


def lowercase_in_context(text: str, start: int, end: int) -> bool:
    """A lowercase word that context shows is vocabulary: a WordNet noun right after a
    number (a unit: "75 mcg") or a WordNet adjective right before a disease or drug word
    ("atrial fibrillation")."""
    word = text[start:end]
    if not (word.isalpha() and word.islower()):
        return False
    if NUMBER_RIGHT_BEFORE.search(text[max(0, start - 12) : start]):
        return in_wordnet(word, ("noun",))
    nxt = NEXT_WORD.match(text[end : end + 40])
    if nxt is None or not in_wordnet(word, ("adj",)):
        return False
    return CLINICAL_WORD.search(nxt.group(1).casefold()) is not None


def public_entity(text: str, start: int, end: int, label: str) -> bool:
    """A span an NER model tagged that is a public term: an eponym ("Hashimoto" of
    "Hashimoto's thyroiditis"), inside a registry code ("ISO/IEC 27001"), or a lowercase
    drug or disease name tagged as a group of people ("gabapentin", "thyroiditis")."""
    if any(a <= start and end <= b for a, b in public_codes(text)):
        return True
    if label != "NRP":
        return eponym(text, start, end)
    value = text[start:end]
    return value.isalpha() and value.islower() and clinical_word(value)


def clinical_word(folded: str) -> bool:
    """A drug or disease name: by the word formation of ``CLINICAL_WORD`` or in the
    drug-name vocabulary (``term_policy.drugs``, loaded on first use)."""
    from privsplit.edge.privacy.detectors import term_policy
    from privsplit.shared.errors import ConfigError

    if CLINICAL_WORD.search(folded):
        return True
    try:
        return term_policy.fold(folded) in term_policy.drugs()
    except ConfigError:  # the drug vocabulary is not installed: judge by word formation only
        return False


def code_name(text: str, start: int, end: int) -> bool:
    """A one-word class or function name after a code keyword that is English vocabulary or
    a clipped common word ("class Config", "def handler"); CamelCase names are not judged."""
    word = text[start:end]
    if not word.isalpha() or any(c.isupper() for c in word[1:]):
        return False
    if not CODE_KEYWORD.search(text[max(0, start - 16) : start]):
        return False
    folded = word.casefold()
    return english_word(folded) or clipped_word(folded)


def article_noun(text: str, start: int, end: int, lang: str | None) -> bool:
    """In text of a language that capitalizes nouns, a capitalized word common in it right
    after an article ("die übliche Dosis", "zwischen einem Virus") and not followed by
    another capitalized word: an article before a run of them is a firm's name ("die Beer
    Reinhardt AG")."""
    article = ARTICLE.get(lang or "")
    word = text[start:end]
    if article is None or not word[:1].isupper() or not word.isalpha():
        return False
    if not article.search(text[max(0, start - 40) : start]):
        return False
    if CAPITALIZED_NEXT.match(text[end : end + 40]):
        return False

    return zipf(word.casefold(), lang) >= ARTICLE_NOUN


def _private_cue(text: str, start: int) -> bool:
    return PRIVATE_CUE.search(text[max(0, start - 40) : start]) is not None


def public_codes(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are codes of public registries or error codes, without a
    private identifier's cue right before them."""
    out: list[tuple[int, int]] = []
    for m in REGISTRY.finditer(text):
        if not _private_cue(text, m.start()):
            out.append((m.start(), m.end()))
    for m in CODE_WORD.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if (ERROR_BEFORE.search(before) or ERROR_AFTER.match(text[m.end() :])) and not (
            _private_cue(text, m.start())
        ):
            out.append((m.start(), m.end()))
    return out


def eponym(text: str, start: int, end: int) -> bool:
    """The capitalized word at ``[start, end)`` names a disease, law, test... after a person
    ("Parkinson's disease", "Bayes' theorem", "Turing test", "maladie de Crohn"). In the
    possessive form it is read as an eponym only in a text that speaks about no one (no
    person cue before it, no pronoun or family word anywhere) and for a name that is not a
    common given name; before a disease word ("Hashimoto's thyroiditis") only for a rare
    one, since "Maria's arthritis" is Maria's."""
    word = text[start:end]
    if not word[:1].isupper():
        return False
    before = text[max(0, start - 30) : start]
    if PERSON_CUE.search(before):
        return False
    if EPONYM_BEFORE.search(before):
        return True
    m = EPONYM_AFTER.match(text[end : end + 60])
    if m is None:
        return False
    possessive = word.endswith(("'s", "’s")) or m.group("possessive") is not None
    if not possessive:
        return True  # "Turing test", "Hodgkin lymphoma", "Down syndrome"
    if m.group("plain") or ABOUT_A_PERSON.search(text):
        return False  # "Maria's test results"; a text about someone
    name = POSSESSIVE_END.sub("", word).casefold()
    limit = GIVEN_NAME if m.group("generic") else RARE_NAME
    return zipf(name) < limit


def model_designation(text: str, start: int, end: int) -> bool:
    """An acronym English uses next to a number ("RTX 4090", "BP 142/91", "18.04 LTS"), or a
    common English word before a short model code ("Galaxy S23")."""
    word = text[start:end]
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return False
    if word.isupper() and 2 <= len(word) <= 5 and zipf(word.casefold()) >= KNOWN_ACRONYM:
        return bool(NUMBER_NEAR.match(text[end:]) or NUMBER_BEFORE.search(text[:start]))
    if word[:1].isupper() and word[1:].islower() and zipf(word.casefold()) >= COMMON_WORD:
        return MODEL_CODE.match(text[end:]) is not None
    return False


def imperative(text: str, start: int, end: int) -> bool:
    """A capitalized verb opening a sentence before a determiner, a possessive, a number word
    or a quote ("Summarize the refund policy", "Translate 'the meeting…'"); not before a
    verb ("Hector said": a name)."""
    word = text[start:end]
    if not (word[:1].isupper() and word[1:].islower() and word.isalpha()):
        return False
    if not SENTENCE_START.search(text[max(0, start - 12) : start]):
        return False
    if not in_wordnet(word.casefold(), ("verb",)):
        return False
    if QUOTE.match(text[end:]):
        return True
    nxt = NEXT_WORD.match(text[end:])
    return nxt is not None and nxt.group(1).casefold() in OBJECT_START


def short_code(text: str, start: int, end: int) -> bool:
    """A standalone code of letters and digits of at most ``SHORT_CODE`` characters ("PS5",
    "S23", "4K"): too short to single anyone out. Not a piece of a longer code
    ("E48/4282/2003", "AB-12-99")."""
    word = text[start:end]
    if len(word) > SHORT_CODE or not word.isalnum() or word.isdigit() or word.isalpha():
        return False
    return not (
        GLUED_BEFORE.search(text[max(0, start - 2) : start]) or GLUED_AFTER.match(text[end:])
    )


def public_word(text: str, start: int, end: int, lang: str | None = None) -> bool:
    """The word at ``[start, end)`` is public by its context: one of Python's names, an
    eponym, a model designation, an imperative verb, a name in code, (``lang``: the
    language the text is written in) a noun after an article, a unit or a clinical
    adjective."""
    return (
        text[start:end] in python_library_names()
        or eponym(text, start, end)
        or model_designation(text, start, end)
        or imperative(text, start, end)
        or code_name(text, start, end)
        or article_noun(text, start, end, lang)
        or lowercase_in_context(text, start, end)
        or short_code(text, start, end)
    )
