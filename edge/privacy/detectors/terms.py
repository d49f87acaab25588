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

Each word is judged on its own here (``TermDetector.classify``), in the language the text
is written in (``terms_language``: "Beschluss" in German text is a German word); the passes
over runs of words then revise the verdicts by context (``terms_runs``: heading lines, firm
names before "Ltd", titles, the policy's vocabularies, names after "called" or "my brother").
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

import regex as re

from privsplit.edge.privacy.detectors import term_policy, terms_han
from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.code_context import CodeContext, code_word
from privsplit.edge.privacy.detectors.code_names import TextNames
from privsplit.edge.privacy.detectors.formulas import formula
from privsplit.edge.privacy.detectors.public_terms import load_public_terms
from privsplit.edge.privacy.detectors.term_policy import TermPolicy
from privsplit.edge.privacy.detectors.terms_language import (
    LATIN_LANGUAGES,
    latin_word,
    mostly_latin,
    script_language,
    text_languages,
)
from privsplit.edge.privacy.detectors.terms_lexicon import (
    CLINICAL_WORD,
    english_vocabulary,
    inflected_word,
    misspelled_word,
    no_vocabulary,
    prefixed_word,
)
from privsplit.edge.privacy.detectors.terms_runs import (
    SENTENCE_START,
    before_corporate,
    capitalized_run,
    keep_headings,
    keep_public,
    lone_vocabulary,
    policy_phrases,
    titled_runs,
)
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as _zipf
from privsplit.edge.privacy.detectors.vocabulary import (
    compound_word,
    english_word_form,
    own_language_word,
)
from privsplit.edge.privacy.spans import Span
from privsplit.edge.privacy.vault import BRACKETED
from privsplit.shared.errors import ConfigError

# scripts written without spaces: a run of them is one word of its own, so a Latin word or a
# number written against them ("告诉Tim，", "电话是13812345678") is read on its own
CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
LETTER = rf"[[\p{{L}}\p{{N}}]--[{CJK}]]"
# a word: letters, marks and digits, joined by inner . ' ’ - _ (not at either end); or a run
# of CJK characters
WORD = re.compile(
    rf"_*{LETTER}(?:[[\p{{L}}\p{{M}}\p{{N}}_]--[{CJK}]]|[.'’\-](?=[[\p{{L}}\p{{N}}_]--[{CJK}]]))*"
    rf"|[{CJK}]+",
    re.V1,
)
# a placeholder, numbered ([PERSON_1]) or masked ([PERSON]), is skipped whole
WORD_OR_PLACEHOLDER = re.compile(rf"(?P<placeholder>{BRACKETED})|{WORD.pattern}", re.V1)
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


NO_IMPORTS = TextNames(frozenset())
SHOUTED = 6  # letters: a word in capitals this long is shouted, not an acronym


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
        """The entity type a word is hidden as (NAME, ID, TERM), or None to keep it; VOCAB
        for a capitalized English word that is a name only in context (``lone_vocabulary``).
        ``second_language``: another language the text is partly written in (see
        ``second_language``); its common words are ordinary words too. ``native``: the text
        is written in that language (detected), so its vocabulary is judged as that
        language's (``vocabulary.own_language_word``: capitalized nouns, compounds).
        ``code_names``: the public names the text imports (``code_names.TextNames``)."""
        if not latin_word(word):
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
        if VERSION.fullmatch(base) or formula(base):  # 2.8.1, AgNO3
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
                # 'Molarity', 'Volunteering': English's own word, capitalized; kept unless
                # it stands in a run of capitalized words or is a place (``lone_vocabulary``)
                vocabulary = self.policy.capitalized_words and english_vocabulary(folded)
                return "VOCAB" if vocabulary else "NAME"
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
        segmenter a name cannot be told from a word (Chinese, when jieba is installed, is
        segmented instead: ``terms_han``)."""
        if not any(c.isalpha() for c in word):
            return None
        lang = script_language(word)
        if lang is not None:
            return "TERM" if _zipf(word.casefold(), lang) < self.t.other_script else None
        return "NAME" if latin_text else None

    def detect(self, text: str, *, language_text: str | None = None) -> list[Span]:
        """``language_text``: the text to read the language from, when ``text`` is a copy of
        it with what the detectors found masked (the engine's ``term_spans``)."""
        latin_text = mostly_latin(text)
        words = [m for m in WORD_OR_PLACEHOLDER.finditer(text) if m.group("placeholder") is None]
        lang, native = text_languages(language_text or text, [m.group() for m in words])
        names = TextNames.of(text, self.public)
        original = language_text if language_text and len(language_text) == len(text) else text
        code = CodeContext.of(original)
        han = terms_han.han_spans(text, detector=self.name)  # None: Han is read word by word
        flagged: list[str | None] = []
        for m in words:
            if han is not None and terms_han.HAN.search(m.group()):
                # segmented: its names are in ``han``; in Latin text, a run that is no clause
                # may be a name and is hidden whole, as without a segmenter
                keep = not latin_text or terms_han.clause(m.group())
                flagged.append("KEEP" if keep else "NAME")
                continue
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
        lone_vocabulary(text, words, flagged)
        before_corporate(text, words, flagged)
        keep_headings(text, words, flagged, capitalized_common=self.t.capitalized_common)
        keep_public(original, words, flagged, lang if native else None)
        titled_runs(text, words, flagged)
        spans = policy_phrases(
            text,
            words,
            flagged,
            lang if native else None,
            policy=self.policy,
            public=self.public,
            detector=self.name,
        )
        spans.extend(han or ())
        i = 0
        while i < len(words):
            if flagged[i] in (None, "KEEP", "CUE"):  # kept, or hidden by the policy pass
                i += 1
                continue
            lo = hi = i
            if flagged[i] == "NAME" and words[i].group()[:1].isupper():
                lo, hi = capitalized_run(text, words, i)
            entity = flagged[i]
            spans.append(Span(words[lo].start(), words[hi].end(), entity, 0.6, self.name))
            i = hi + 1
        return sorted(spans, key=lambda s: s.start)
