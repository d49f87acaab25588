"""Rare and proper terms: the words a stranger could search for.

Names of small firms, schools, towns, usernames, project code names, ticker symbols and
internal identifiers share one trait that NER models miss and patterns cannot describe:
they are rare in ordinary English, or written as names. This detector flags a word when

- it mixes letters and digits, or is a long run of digits (an identifier: ``c1566511282``);
- it is an acronym, CamelCase, or Capitalized in mid-sentence, and is not a common word
  (word frequencies from ``wordfreq``, Zipf scale: 3 = once per million words); in a
  heading line (a line of one to six capitalized words: "Soft Skills", "Volunteering:") a
  word of middling frequency counts only when it reads as a name
  (``name_evidence.name_like``); a sentence's capitalized first word must be rarer, unless
  it is no language's word (``terms_lexicon.no_vocabulary``: "Nate has been an attorney");
- it is a lowercase word that is rare (``pacd``, ``vnit``, a misspelled or foreign name);
- it is written in another script inside Latin text (a Korean company name in an English
  e-mail).

A run of capitalized words that contains a flagged word is hidden as a whole ("Arab Open
University-Dammam"). Technical vocabulary that identifies no one (programming languages,
libraries, file formats) is listed in ``public_terms.txt`` and never flagged; rare words that
are public by rule (codes of public registries, eponyms, model numbers, Python's own names,
imperative verbs, units) are kept too (``terms_public``, ``terms_lexicon``), and so are the
words of code that belong to its language, not its author (``code_context``). Used by the
pipeline before anything is sent to the cloud (``pipeline.hide_terms``); it favours recall,
since a hidden word comes back in the answer when placeholders are restored.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache

import regex as re

from privsplit.edge.privacy.detectors import language, term_policy
from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.calendar_words import calendar_word
from privsplit.edge.privacy.detectors.code_context import CodeContext, code_word
from privsplit.edge.privacy.detectors.code_names import TextNames
from privsplit.edge.privacy.detectors.name_evidence import name_like
from privsplit.edge.privacy.detectors.org_evidence import CORPORATE
from privsplit.edge.privacy.detectors.public_terms import load_public_terms
from privsplit.edge.privacy.detectors.term_policy import TermPolicy
from privsplit.edge.privacy.detectors.terms_lexicon import (
    CLINICAL_WORD,
    english_vocabulary,
    inflected_word,
    misspelled_word,
    no_vocabulary,
    prefixed_word,
)
from privsplit.edge.privacy.detectors.terms_public import public_codes, public_word
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as _zipf
from privsplit.edge.privacy.detectors.vocabulary import (
    compound_word,
    english_word_form,
    own_language_word,
)
from privsplit.edge.privacy.spans import Span
from privsplit.edge.privacy.vault import BRACKETED
from privsplit.shared.errors import ConfigError

# a word: letters, marks and digits, joined by inner . ' ’ - _ (not at either end)
WORD = re.compile(r"_*[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}_]|[.'’\-](?=[\p{L}\p{N}_]))*")
# a placeholder, numbered ([PERSON_1]) or masked ([PERSON]), is skipped whole
WORD_OR_PLACEHOLDER = re.compile(rf"(?P<placeholder>{BRACKETED})|{WORD.pattern}")
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"“(*#>•\-]|\d[.)])[\s\"“'‘(*]*$")
DOMAIN = re.compile(
    r"(?:[a-z0-9_-]+\.)+(?:com|net|org|io|ai|co|uk|de|fr|in|us|ca|au|ru|cn|jp|info|biz|app|"
    r"dev|me|tv|edu|gov|xyz|online|site|store|shop)"
)
INITIALISM = re.compile(r"(?:\p{Lu}\.)+\p{Lu}\.?")
CODE_SEPARATORS = re.compile(r"[._]")
NOT_LETTER = re.compile(r"[^\p{L}]")
POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
# an elided article or pronoun of French or Italian: l'COPD, d'Alembert, qu'il
ELISION = re.compile(r"^(?:[cdjlmnst]|qu)['’](?=\p{L})", re.IGNORECASE)
NATIVE_WORD = 3.0  # Zipf in the text's language: a lowercase word of it, not a place name
# numbers with a unit or an ordinal are quantities, not identifiers
QUANTITY = re.compile(
    r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s|am|pm|k|m|b|x|kg|km|g|mg|ml|l|cm|mm|m2|h|hr|hrs|"
    r"min|d|gb|mb|kb|tb|ghz|mhz|hz|px|pt|v|w|kw|kwh|mp|fps|p|yo|y|mo)",
    re.IGNORECASE,
)
# a number padded with zeros to a machine word ('0000000000000006', '00000000000013c4'): what
# it says is its significant digits; at most four hex digits (16 bits) identify nothing
ZERO_PADDED = re.compile(r"0{4,}([0-9A-Fa-f]*)")
PADDED_SIGNIFICANT = 5
# a software version: 2.8.1, v0.9.3-rc2, 5.15.0-91-generic
VERSION = re.compile(r"v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*)?", re.IGNORECASE)
COMMON_OPENER = 4.8  # Zipf of words such as "The", "Please", "My"
CONNECTORS = frozenset(
    {
        "of",
        "de",
        "del",
        "la",
        "le",
        "du",
        "da",
        "van",
        "von",
        "der",
        "the",
        "and",
        "&",
        "for",
        "y",
        "e",
        "di",
        "al",
        "el",
        "bin",
        "ibn",
    }
)


@dataclass(frozen=True)
class Thresholds:
    """Zipf frequency below which a word counts as rare, by how it is written."""

    lowercase: float = 3.0  # 'vnit', 'belal': not English words
    capitalized: float = 4.6  # 'Pune', 'Samsung', 'Rahul' in mid-sentence
    sentence_start: float = 3.6  # capitalized only because a sentence starts there
    # in a heading line, a capitalized word at least this common is a name only if it reads
    # as one (``name_evidence.name_like``): "Soft Skills", "Volunteering" head a CV's
    # sections; "Pune", "Rahul", "Samsung" are rare, "Amazon" is used across languages
    capitalized_common: float = 3.5
    acronym: float = 4.5  # 'UCLA', 'NVDA', 'IBM'
    camel: float = 3.8  # 'LinkedIn', 'ActivityMainBinding'
    alnum: float = 3.0  # 'c1566511282', 'AM3352' (but 'mp3' is a word)
    other_script: float = 2.0  # a Cyrillic, Greek, Arabic or Hebrew word, in its language
    native_lowercase: float = 2.0  # a lowercase word of the text's own (detected) language
    min_digits: int = 6  # a bare number this long is an identifier

    def shifted(self, by: float) -> Thresholds:
        """Every Zipf threshold raised by ``by`` (``TermPolicy.zipf_shift``)."""
        if not by:
            return self
        return replace(
            self,
            **{f.name: getattr(self, f.name) + by for f in fields(self) if f.type == "float"},
        )


# a name cue before a word of an allow-list makes it a name again ("my friend Allegra")
NAME_CUE = re.compile(
    r"(?:\b(?:mr|mrs|ms|miss|dr|prof|sir|madam|dear|hi|hello|hey|by|from|to|with|"
    r"called|named|name is|i am|i'm|"
    r"(?:my|his|her|our|their|your) (?:friend|brother|sister|wife|husband|son|daughter|"
    r"mother|father|mom|dad|boss|colleague|partner|cousin|uncle|aunt|neighbou?r|client|"
    r"patient|teacher|student|manager|girlfriend|boyfriend|fianc[ée]e?))\.?\s+)$",
    re.IGNORECASE,
)
# "a company called tech stop", 'an app named "Mario"': the words after it are a name
CALLED = re.compile(r"(?<![\w-])(?:called|named)\s+[\"“'‘]?$", re.IGNORECASE)
# "my brother harrison", "his wife eden", "I m larry zhang": a word that looks like a name
# (``name_evidence.name_like``: rare, or used as much in fr/de/es as in English) is one
PERSON_CUE = re.compile(
    r"(?<![\w-])(?:(?:my|his|her|our|their|your) (?:friend|brother|sister|wife|husband|son|"
    r"daughter|mother|father|mom|mum|dad|boss|colleague|partner|cousin|uncle|aunt|nephew|niece|"
    r"grandson|granddaughter|grandmother|grandfather|fianc[ée]e?|girlfriend|boyfriend)|"
    r"i am|i'm|i’m|i m|my name is|name's|this is)\s+$",
    re.IGNORECASE,
)
# a line that is a heading: 1-6 capitalized words (connectors between), maybe numbered,
# bulleted or marked up, maybe ending with a colon
HEADING_LINE = re.compile(
    r"[ \t]*(?:[#*•\-–>]+[ \t]*|\d+[.)][ \t]*)?"
    r"\p{Lu}[\p{L}'’\-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’\-]*|and|of|&|for|the|in|to)){0,5}"
    r"[ \t]*[:*]*[ \t]*"
)
# function words written with a capital inside a run of capitalized words: a title
TITLE_FUNCTION_WORDS = frozenset({"To", "The", "Of", "And", "For", "In", "On", "At", "With"})
TITLE_OPENERS = frozenset(
    """i i'm i’m you you're you’re we we're we’re they they're it it's it’s he she my your our
    their this that these those how why what when where who""".split()
)
QUOTES = frozenset("\"“”'‘’«")


def _line(text: str, start: int, end: int) -> str:
    """The whole line that holds ``text[start:end]``."""
    b = text.find("\n", end)
    return text[text.rfind("\n", 0, start) + 1 : len(text) if b < 0 else b]


# a month or weekday name is kept ("Feb", "Jun 2021") unless a person cue introduces it
# ("my friend June", "Dear April", "a girl named May")
CALENDAR_NAME_CUE = re.compile(
    r"(?:\b(?:mr|mrs|ms|miss|dr|prof|dear|hi|hello|hey|called|named|name is)\.?\s+)$",
    re.IGNORECASE,
)
# "by anna university", "at hamdard college": name-like words before an institution word
INSTITUTION = frozenset(
    {"university", "college", "institute", "hospital", "academy", "school", "clinic"}
)
CUE_WORD_MAX_ZIPF = 5.0  # "called me", "named the": a common word first is no name
CUE_NEXT_MAX_ZIPF = 6.0  # later words of the name; function words ("that", "in") end it
CUE_MAX_WORDS = 3


SMALL_LIST_ZIPF = 3.0  # wordfreq's small lists hold every word at least this frequent


def _common_zipf(word: str, lang: str) -> float:
    """Zipf frequency from wordfreq's small list of ``lang`` (words at least once per million,
    Zipf >= 3): the same value as the full list at and above 3, and a smaller table to load,
    so ``second_language`` can ask 26 languages."""
    return _zipf(word, lang, "small")


_SCRIPT_LANGUAGES = (("CYRILLIC", "ru"), ("GREEK", "el"), ("ARABIC", "ar"), ("HEBREW", "he"))


def _script_language(word: str) -> str | None:
    """The wordfreq language to look a non-Latin word up in, when its script has one
    language that needs no extra segmenter."""
    names = [_char_name(c) for c in word if c.isalpha()]
    for script, lang in _SCRIPT_LANGUAGES:
        if names and all(script in n for n in names):
            return lang
    return None


def _is_latin_word(word: str) -> bool:
    if word.isascii():  # every ASCII letter is a Latin one
        return True
    return all(not c.isalpha() or "LATIN" in _char_name(c) for c in word)


@lru_cache(maxsize=4096)
def _char_name(c: str) -> str:
    import unicodedata

    return unicodedata.name(c, "")


def _mostly_latin(text: str) -> bool:
    if text.isascii():  # no letters, or only Latin ones
        return True
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    return sum(1 for c in letters if c.isascii() or "LATIN" in _char_name(c)) >= 0.6 * len(letters)


# Latin-script languages wordfreq knows: a quoted Spanish e-mail is not a list of rare words
LATIN_LANGUAGES = (
    "es",
    "fr",
    "de",
    "pt",
    "it",
    "nl",
    "ro",
    "pl",
    "tr",
    "id",
    "ms",
    "ca",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
    "sk",
    "sl",
    "sh",
    "hu",
    "lt",
    "lv",
    "is",
    "vi",
    "fil",
)
NO_IMPORTS = TextNames(frozenset())
SHOUTED = 6  # letters: a word in capitals this long is shouted, not an acronym


def second_language(words: list[str], *, common: float = 3.5, min_words: int = 3) -> str | None:
    """The other language a text is partly written in: among its words that are uncommon in
    English, the language in which most of them are common (at least ``min_words`` and 40%
    of them). Names are rare in every language, so they do not elect one."""
    uncommon = list(
        dict.fromkeys(
            w.casefold()
            for w in words
            if w.isalpha() and _is_latin_word(w) and _zipf(w.casefold()) < 3.0
        )
    )
    if len(uncommon) < min_words:
        return None
    lookup = _common_zipf if common >= SMALL_LIST_ZIPF else _zipf
    best, best_count = None, 0
    for lang in LATIN_LANGUAGES:
        count = sum(lookup(w, lang) >= common for w in uncommon)
        if count > best_count:
            best, best_count = lang, count
    return best if best_count >= max(min_words, 0.4 * len(uncommon)) else None


def text_languages(text: str, words: list[str]) -> tuple[str | None, bool]:
    """The language besides English whose words are ordinary in ``text``, and whether the
    text is written in it: its detected language when that is a Latin-script language
    wordfreq knows, else the language of a quoted passage (``second_language``), if any."""
    detected = language.text_language(text) if language.is_available() else None
    if detected in LATIN_LANGUAGES:
        return detected, True
    return second_language(words), False


@register_detector
class TermDetector(Detector):
    name = "terms"
    try:
        import wordfreq  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency of the edge extra
        is_available = False
        unavailable_reason = "wordfreq is not installed (pip install privsplit[edge])"

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        public_terms: frozenset[str] | None = None,
        policy: TermPolicy | None = None,
    ) -> None:
        """``policy``: the knobs (``term_policy.TermPolicy``); None follows the process's
        configured policy (``term_policy.configure``, from ``pipeline.terms``)."""
        if not self.is_available:
            raise ConfigError(self.unavailable_reason)
        self.base_thresholds = thresholds or Thresholds()
        self.public = load_public_terms() if public_terms is None else public_terms
        self._policy = policy

    @property
    def policy(self) -> TermPolicy:
        return self._policy or term_policy.active()

    @property
    def t(self) -> Thresholds:
        return self.base_thresholds.shifted(self.policy.zipf_shift)

    def classify(
        self,
        word: str,
        *,
        sentence_start: bool,
        latin_text: bool,
        second_language: str | None = None,
        native: bool = False,
        code_names: TextNames | None = None,
    ) -> str | None:
        """The entity type a word is hidden as (NAME, ID, TERM), or None to keep it.
        ``second_language``: another language the text is partly written in (see
        ``second_language``); its common words are ordinary words too. ``native``: the text
        is written in that language (detected), so its vocabulary is judged as that
        language's (``vocabulary.own_language_word``: capitalized nouns, compounds).
        ``code_names``: the public names the text imports (``code_names.TextNames``)."""
        if not _is_latin_word(word):
            return self._classify_other_script(word, latin_text)
        base = ELISION.sub("", POSSESSIVE.sub("", word)).strip("_")
        folded = base.casefold()
        if folded in self.public or len(base) < 2:
            return None
        if DOMAIN.fullmatch(folded) and base.rsplit(".", 1)[-1].islower():  # not logging.INFO
            return "NAME"
        if (code_names or NO_IMPORTS).public(base, self.public):
            return None  # Python's and public libraries' own names
        lang = second_language
        native = native and lang is not None
        if INITIALISM.fullmatch(base):  # K.F.C, U.S.A
            return self._classify_word(
                base.replace(".", ""), sentence_start=False, lang=lang, native=native
            )
        parts = [p for p in CODE_SEPARATORS.split(base) if p]
        if len(parts) > 1 and not any(c.isdigit() for c in base.replace(".", "")):
            if "." in base and base.islower():
                # module.function: the module or object name is the part a user chose
                parts = parts[:1]
            # snake_case, objectName.method: a code name is as rare as its rarest part; a part
            # in capitals (ALLOWED_HOSTS) is a word written in capitals, not an acronym
            found = [
                self._classify_word(
                    p.lower() if p.isupper() and "_" in base else p,
                    sentence_start=False,
                    lang=lang,
                    native=native,
                )
                for p in parts
            ]
            return next((f for f in found if f), None)
        return self._classify_word(base, sentence_start=sentence_start, lang=lang, native=native)

    def _classify_word(
        self, base: str, *, sentence_start: bool, lang: str | None, native: bool = False
    ) -> str | None:
        t = self.t
        folded = base.casefold()
        if folded in self.public or len(base) < 2:
            return None
        if VERSION.fullmatch(base):
            return None
        if (padded := ZERO_PADDED.fullmatch(base)) and len(padded[1]) < PADDED_SIGNIFICANT:
            return None  # a register or offset in a dump: as telling as '13c4' or '6'
        digits = sum(c.isdigit() for c in base)
        letters = sum(c.isalpha() for c in base)
        if digits and not letters:
            if "." in base or "," in base:  # an amount or a version, not an identifier
                return None
            plain = base.replace("-", "")
            return "ID" if len(plain) >= t.min_digits and plain.isdigit() else None
        if digits:
            if QUANTITY.fullmatch(base):
                return None
            return "ID" if _zipf(folded) < t.alnum else None
        zipf = max(_zipf(folded), _zipf(folded, lang) if lang else 0.0)
        core = NOT_LETTER.sub("", base)
        if len(core) >= SHOUTED and core.isupper():  # a heading or a name in capitals
            return "NAME" if zipf < t.capitalized else None
        if len(core) >= 2 and core.isupper():
            return "NAME" if zipf < t.acronym else None
        if any(c.isupper() for c in core[1:]):  # CamelCase, iPhone
            return "NAME" if zipf < t.camel else None
        if native and own_language_word(core, lang):  # "Beschluss", "Pouvez", "Klageabweisung"
            return None
        if core[:1].isupper():
            if zipf < (t.sentence_start if sentence_start else t.capitalized):
                return "NAME"
            # a sentence's first word is capitalized whatever it is, so it needs to be rarer
            # to count as a name; a word that is no language's word ("Nate has been an
            # attorney") has no such excuse, and is judged as in mid-sentence
            if sentence_start and zipf < t.capitalized and no_vocabulary(folded, LATIN_LANGUAGES):
                return "NAME"
            return None
        if zipf < t.lowercase and CLINICAL_WORD.search(folded):
            return None  # drug and disease names are public vocabulary, not identifiers
        if zipf < t.lowercase and english_word_form(folded):
            return None  # 'retries', 'timestamps', 'recheck': made of common English words
        if zipf < t.lowercase and prefixed_word(folded):
            return None  # 'retry', 'overheat': a prefix and a common English word
        if zipf < t.lowercase and self.policy.english_words and english_vocabulary(folded):
            return None  # 'bustle', 'famished': English's own words, rare but not names
        if (
            zipf < t.lowercase
            and self.policy.english_words
            and not native
            and misspelled_word(folded)
        ):
            return None  # 'sutdent', 'informaiton': a typo of a common word, not a name
        if native and (
            _zipf(folded, lang) >= t.native_lowercase
            or compound_word(folded, lang)
            or inflected_word(folded, lang)
        ):
            return None
        return "TERM" if zipf < t.lowercase else None

    def _classify_other_script(self, word: str, latin_text: bool) -> str | None:
        """Cyrillic, Greek, Arabic and Hebrew words are looked up in that language; other
        scripts (Han, Hangul, Kana...) inside Latin text are hidden, since without a
        segmenter a name cannot be told from a word."""
        if not any(c.isalpha() for c in word):
            return None
        lang = _script_language(word)
        if lang is not None:
            return "TERM" if _zipf(word.casefold(), lang) < self.t.other_script else None
        return "NAME" if latin_text else None

    def detect(self, text: str, *, language_text: str | None = None) -> list[Span]:
        """``language_text``: the text to read the language from, when ``text`` is a copy of
        it with what the detectors found masked (the engine's ``term_spans``)."""
        latin_text = _mostly_latin(text)
        words = [m for m in WORD_OR_PLACEHOLDER.finditer(text) if m.group("placeholder") is None]
        lang, native = text_languages(language_text or text, [m.group() for m in words])
        names = TextNames.of(text, self.public)
        original = language_text if language_text and len(language_text) == len(text) else text
        code = CodeContext.of(original)
        flagged: list[str | None] = []
        for m in words:
            if (
                (code.in_code(m.start(), m.end()) and code.public_code_word(m.group()))
                or (code.code_literal(m.start(), m.end()) and code_word(m.group()))
                or code.in_colour(m.start(), m.end())
            ):
                flagged.append("KEEP")  # the language's own word or a colour, written in code
                continue
            start = SENTENCE_START.search(text[max(0, m.start() - 12) : m.start()]) is not None
            flagged.append(
                self.classify(
                    m.group(),
                    sentence_start=start,
                    latin_text=latin_text,
                    second_language=lang,
                    native=native,
                    code_names=names,
                )
            )
        self._before_corporate(text, words, flagged)
        self._keep_headings(text, words, flagged)
        self._keep_public(original, words, flagged, lang if native else None)
        self._titled_runs(text, words, flagged)
        spans = self._policy_phrases(text, words, flagged, lang if native else None)
        i = 0
        while i < len(words):
            if flagged[i] in (None, "KEEP", "CUE"):  # kept, or hidden by the policy pass
                i += 1
                continue
            lo = hi = i
            if flagged[i] == "NAME" and words[i].group()[:1].isupper():
                lo, hi = self._capitalized_run(text, words, i)
            entity = flagged[i]
            spans.append(Span(words[lo].start(), words[hi].end(), entity, 0.6, self.name))
            i = hi + 1
        return sorted(spans, key=lambda s: s.start)

    def _keep_headings(self, text: str, words: list, flagged: list[str | None]) -> None:
        """Keep the English words of heading lines ("Soft Skills", "Certification:",
        "## Volunteering"): a section's title, not a name. A heading that holds a word
        reading as a name, a rare word or a corporate word is left to the rules above."""
        common = self.t.capitalized_common
        for i, m in enumerate(words):
            if flagged[i] != "NAME" or not m.group()[:1].isupper():
                continue
            folded = m.group().casefold()
            if folded in CORPORATE or _zipf(folded) < common or name_like(folded):
                continue
            if HEADING_LINE.fullmatch(_line(text, m.start(), m.end())):
                flagged[i] = None

    @staticmethod
    def _titled_runs(text: str, words: list, flagged: list[str | None]) -> None:
        """Three or more capitalized words in a row, one of them a capitalized function word
        after the first ("Key To The World", "Friends Of The Earth"), are a title or a name
        in running text, however common their words: the first one is flagged, and the
        capitalized run around it is hidden whole. Heading lines, quoted titles and runs
        opened by a pronoun ("You're Supposed To Hate", a headline) are left alone."""
        i = 0
        while i < len(words):
            if not words[i].group()[:1].isupper():
                i += 1
                continue
            j = i
            while (
                j + 1 < len(words)
                and text[words[j].end() : words[j + 1].start()] == " "
                and words[j + 1].group()[:1].isupper()
            ):
                j += 1
            run = words[i : j + 1]
            before = text[max(0, run[0].start() - 1) : run[0].start()]
            if (
                len(run) >= 3
                and run[0].group().casefold() not in TITLE_OPENERS
                and before not in QUOTES  # "Carry Me Back To Canada": a quoted work's title
                and any(m.group() in TITLE_FUNCTION_WORDS for m in run[1:-1])
                and "NAME" not in flagged[i : j + 1]
            ):
                line = _line(text, run[0].start(), run[-1].end())
                free = [k for k in range(i, j + 1) if flagged[k] is None]
                if free and not HEADING_LINE.fullmatch(line):
                    flagged[free[0]] = "NAME"
            i = j + 1

    @staticmethod
    def _before_corporate(text: str, words: list, flagged: list[str | None]) -> None:
        """A capitalized word right before a corporate or institution word ("Shepherd Ltd",
        "Lending Club", "Key Bank") is a firm's name, however common the word."""
        for i in range(len(words) - 1):
            a, b = words[i], words[i + 1]
            if (
                flagged[i] is None
                and a.group()[:1].isupper()
                and b.group()[:1].isupper()
                and text[a.end() : b.start()] == " "
                and b.group().casefold() in CORPORATE
                and a.group().casefold() not in CONNECTORS
                and _zipf(a.group().casefold()) < COMMON_OPENER
            ):
                flagged[i] = "NAME"

    @staticmethod
    def _keep_public(
        text: str, words: list, flagged: list[str | None], lang: str | None = None
    ) -> None:
        """Mark ``KEEP`` the flagged words that are public by their context
        (``terms_public``, read in ``text`` as written, before the detectors' masks): inside a registry or error code, eponyms, model designations,
        imperative verbs, names in code, nouns after an article (``lang``: the language the
        text is written in, if detected); and month and weekday names that no person cue
        introduces (``calendar_words``)."""
        if not any(f for f in flagged):
            return
        codes = public_codes(text)
        for i, m in enumerate(words):
            if flagged[i] is None:
                continue
            if calendar_word(m.group()):
                before = text[max(0, m.start() - 24) : m.start()]
                if not (CALENDAR_NAME_CUE.search(before) or PERSON_CUE.search(before)):
                    flagged[i] = "KEEP"
                    continue
            if any(a <= m.start() and m.end() <= b for a, b in codes) or public_word(
                text, m.start(), m.end(), lang
            ):
                flagged[i] = "KEEP"

    def _policy_phrases(
        self, text: str, words: list, flagged: list[str | None], lang: str | None = None
    ) -> list[Span]:
        """Apply the policy's vocabularies to ``flagged`` in place (``KEEP``: an allow-listed
        word, never joined into a name run; ``None``: a word already spoken for) and return
        the spans it hides itself: places (``places="hide"``) and names after a cue. In text
        written in ``lang`` (detected), a lowercase word common in that language is that
        word, not a place ("la réunion", "la reunión")."""
        policy = self.policy
        allow = term_policy.allowed(policy)
        place_names = term_policy.places() if policy.places != "allow" else frozenset()
        spans: list[Span] = []
        # joined[k]: words k and k + 1 are one phrase's (a space or a hyphen between them)
        joined = [text[a.end() : b.start()] in (" ", "-") for a, b in zip(words, words[1:])]
        i = 0
        while i < len(words):
            found = None
            for n in range(min(term_policy.MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                last = words[i + n - 1]
                if not all(joined[i : i + n - 1]):
                    continue
                written = text[words[i].start() : last.end()]
                phrase = term_policy.fold(written)
                if (
                    lang is not None
                    and written.islower()
                    and _zipf(written.casefold(), lang) >= NATIVE_WORD
                ):
                    continue
                if policy.places == "hide" and phrase in place_names:
                    found = ("LOCATION", n)
                    break
                if phrase in allow or (policy.places == "allow" and phrase in place_names):
                    before = text[max(0, words[i].start() - 40) : words[i].start()]
                    if not NAME_CUE.search(before):
                        found = ("KEEP", n)
                        break
            if found is None:
                i += 1
                continue
            kind, n = found
            if kind == "LOCATION":
                spans.append(
                    Span(words[i].start(), words[i + n - 1].end(), "LOCATION", 0.6, self.name)
                )
                flagged[i : i + n] = [None] * n
            else:
                flagged[i : i + n] = ["KEEP"] * n
            i += n
        if policy.name_cues:
            spans.extend(self._cued_names(text, words, flagged))
        return spans

    def _cued_names(self, text: str, words: list, flagged: list[str | None]) -> list[Span]:
        """Up to ``CUE_MAX_WORDS`` words after "called"/"named", in any case."""
        out: list[Span] = []
        for i, m in enumerate(words):
            before = text[max(0, m.start() - 24) : m.start()]
            called = CALLED.search(before[-12:]) is not None
            if not called and not PERSON_CUE.search(before):
                continue
            if flagged[i] is not None or m.group().casefold() in self.public:
                continue  # already hidden, or kept on purpose
            if called and _zipf(m.group().casefold()) >= CUE_WORD_MAX_ZIPF:
                continue
            if not called and not (m.group().isalpha() and name_like(m.group().casefold())):
                continue

            def more(k: int, called: bool = called) -> bool:
                w = words[k].group()
                if called:
                    return _zipf(w.casefold()) < CUE_NEXT_MAX_ZIPF
                return w.isalpha() and name_like(w.casefold())  # a surname

            hi = i
            while (
                hi + 1 < len(words)
                and hi + 1 - i < CUE_MAX_WORDS
                and text[words[hi].end() : words[hi + 1].start()] == " "
                and flagged[hi + 1] is None
                and more(hi + 1)
            ):
                hi += 1
            out.append(Span(m.start(), words[hi].end(), "NAME", 0.6, self.name))
            flagged[i : hi + 1] = ["CUE"] * (hi + 1 - i)
        for i, m in enumerate(words):
            if i == 0 or m.group().casefold() not in INSTITUTION:
                continue
            lo = i
            while (
                lo > 0
                and i - lo < CUE_MAX_WORDS - 1
                and text[words[lo - 1].end() : words[lo].start()] == " "
                and flagged[lo - 1] is None
                and words[lo - 1].group().isalpha()
                and name_like(words[lo - 1].group().casefold())
            ):
                lo -= 1
            if lo < i:
                out.append(Span(words[lo].start(), m.end(), "ORGANIZATION", 0.6, self.name))
                flagged[lo : i + 1] = ["CUE"] * (i + 1 - lo)
        return out

    @staticmethod
    def _capitalized_run(text: str, words: list, i: int) -> tuple[int, int]:
        """The run of capitalized words (joined by spaces and connectors such as 'of') around
        word ``i``, on one line."""

        def joined(a, b) -> bool:
            gap = text[a.end() : b.start()]
            return gap in (" ", " - ", " & ")

        def cap(m) -> bool:
            return m.group()[:1].isupper()

        def opens_sentence(k: int) -> bool:  # "Please", "The", "My" before a name
            before = text[max(0, words[k].start() - 12) : words[k].start()]
            return (
                SENTENCE_START.search(before) is not None
                and _zipf(words[k].group().casefold()) >= COMMON_OPENER
            )

        lo = i
        while (
            lo > 0
            and joined(words[lo - 1], words[lo])
            and cap(words[lo - 1])
            and len(words[lo - 1].group()) > 1
            and not opens_sentence(lo - 1)
        ):
            lo -= 1
        hi = i
        while hi + 1 < len(words) and joined(words[hi], words[hi + 1]):
            nxt = words[hi + 1]
            if cap(nxt) and len(nxt.group()) > 1:
                hi += 1
            elif (
                nxt.group().casefold() in CONNECTORS
                and hi + 2 < len(words)
                and joined(nxt, words[hi + 2])
                and cap(words[hi + 2])
                and len(words[hi + 2].group()) > 1
            ):
                hi += 2
            else:
                break
        return lo, hi
