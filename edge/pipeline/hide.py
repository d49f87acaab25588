"""Stage hide: hide the identifying details that the detectors missed.

``hide(plan, vault, ...)`` is the step. Two passes, both only ever add hiding: ``find_terms``
(the ``terms`` detector: rare words, acronyms, mid-sentence names, identifiers; no model) and,
in split mode and only for a request the policy would send, ``Hider`` (the edge model). After
each, ``sweep`` masks every other mention of a value the vault holds.

Pattern and NER detectors do not see employers, schools, small firms, project names or
places described in passing; the edge model reads the (already redacted) request and lists
them. Each listed item that really occurs in the text (whole words, any case) is replaced by
a typed placeholder from the request's vault, so the guard checks it and the answer gets it
back on restore. Items that are long (a sentence, not a name), short (< 3 characters) or
absent from the text are ignored: the model can only add hiding, never remove it. Nor does it
hide what the term pass's allow-lists keep (``public_term``: "CT scan" listed as an
organization), nor the language's own names written in code (``code_word_only``:
``System.Linq``, as ``code_context`` judges them), except a person: a person named like a
drug or a language stays hidden.

The model hider reads every character of the request or refuses it (``IncompleteCoverage``),
and an answer it cannot read is never taken as "nothing to hide": it is asked again once,
then the request is refused (``ModelOutputInvalid``) unless ``model_output_failure`` is
``best_effort``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from privsplit.edge.pipeline.chunks import chunk_text
from privsplit.edge.pipeline.local import local_params
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.settings import PipelineSettings
from privsplit.edge.privacy.detectors import Detector, create_detector, term_policy
from privsplit.edge.privacy.detectors.calendar_words import date_expression
from privsplit.edge.privacy.detectors.code_context import CodeContext
from privsplit.edge.privacy.guard import find_known
from privsplit.edge.privacy.scripts import CJK_LETTERS, cjk_letter
from privsplit.edge.privacy.vault import PLACEHOLDER_RE, Vault
from privsplit.edge.runtime import LocalModel
from privsplit.shared.errors import ConfigError, IncompleteCoverage, ModelOutputInvalid
from privsplit.shared.logging import get_logger

if TYPE_CHECKING:  # the plan imports this module; the step only calls its methods
    from privsplit.edge.pipeline.plan import Plan

log = get_logger(__name__)

HIDE_TYPES = ("PERSON", "ORGANIZATION", "LOCATION", "ID")
MAX_WORDS = 6
MAX_CHARS = 60
# words that make an item a phrase rather than a name ("my email is", "discuss with me X")
_PHRASE_WORDS = frozenset(
    """i me my mine you your yours he him his she her hers we us our they them
their it its is are was were be been am to with for from at in on by this that these those a an
will would can could should please""".split()
)


def looks_like_name(value: str) -> bool:
    """A name, not a phrase: no pronoun/verb/preposition words, and at least one capital
    letter, digit or letter of a script without case (the model copies names as written)."""
    words = [w.strip(".,;:!?()\"'").casefold() for w in value.split()]
    if any(w in _PHRASE_WORDS for w in words):
        return False
    return any(c.isdigit() or (c.isalpha() and not c.islower()) for c in value)


@dataclass(frozen=True)
class Hidden:
    value: str
    entity_type: str


def hide_schema(max_items: int) -> dict:
    item = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": MAX_CHARS},
            "type": {"type": "string", "enum": list(HIDE_TYPES)},
        },
        "required": ["text", "type"],
    }
    return {
        "type": "object",
        "properties": {"private": {"type": "array", "maxItems": max_items, "items": item}},
        "required": ["private"],
    }


def answer_token_bound(max_items: int) -> int:
    """Tokens that hold the longest answer ``hide_schema(max_items)`` allows, counting one
    token per character (a token is never shorter): a retry with this budget is never cut
    off, and generation ends with the JSON, so the bound costs nothing when not needed."""
    return 16 + max_items * (MAX_CHARS + 32)


def parse_hidden(raw: str) -> list[Hidden]:
    """The items of a hide answer. An answer that is not the schema's shape (not JSON, cut
    off by the token budget, no ``private`` list, an item that is not an object) raises
    ``ModelOutputInvalid``: "unreadable" never means "nothing to hide". Items that are
    readable but not names (sentences, placeholders, numbers, dates, unknown types) are
    dropped."""
    try:
        # strict=False: a raw line break inside a string (llama.cpp grammars let it through)
        # is still a complete, readable answer
        data = json.loads(raw, strict=False)
    except (json.JSONDecodeError, ValueError):
        raise ModelOutputInvalid("the hide answer is not complete JSON") from None
    items = data.get("private") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ModelOutputInvalid("the hide answer does not have the expected shape")
    out: list[Hidden] = []
    for item in items:
        value, entity_type = item.get("text"), item.get("type")
        if not isinstance(value, str) or entity_type not in HIDE_TYPES:
            continue
        value = value.strip().strip("\"'.,;:()")
        if (
            3 <= len(value) <= MAX_CHARS
            and len(value.split()) <= MAX_WORDS
            and "[" not in value
            and looks_like_name(value)
            and any(c.isalpha() for c in value)
            and not date_expression(value)
        ):  # numbers and dates ("2022-present", "Q2 2022") are the patterns' job, not names
            out.append(Hidden(value, entity_type))
    return out


def public_term(item: Hidden, policy: term_policy.TermPolicy) -> bool:
    """An item the term pass would keep by ``policy``'s allow-lists (a medical procedure, a
    drug, a language; places with ``places: allow``), listed as anything but a person. A
    person is never judged by them ("Allegra" the friend, not the drug). A vocabulary that
    cannot be loaded keeps nothing: the item stays hidden."""
    if item.entity_type == "PERSON":
        return False
    try:
        return term_policy.fold(item.value) in term_policy.allowed(policy)
    except ConfigError:
        return False


def code_word_only(item: Hidden, text: str, code: CodeContext) -> bool:
    """Every occurrence of ``item`` in ``text`` is written in code and is the language's or a
    public library's name (``code_context``: ``System.Collections.Generic``, ``Visibility``),
    as the term pass judges it; a person is never judged so."""
    if item.entity_type == "PERSON":
        return False
    hits = list(_pattern(item.value).finditer(text))
    return bool(hits) and all(
        code.in_code(m.start(), m.end()) and code.public_code_word(m.group()) for m in hits
    )


_QUOTES = re.compile(r"\\?['\u2019\u2018\u02bc]")


def _pattern(value: str) -> re.Pattern[str]:
    """Whole words (letters and digits around are not allowed), any case, any run of spaces,
    and any apostrophe (' and \u2019 alike)."""
    words = [_QUOTES.sub("['\u2019\u2018\u02bc]", re.escape(w)) for w in value.split()]
    # "_" is a boundary as in the egress guard: "__android_log" holds the word "android";
    # so is a CJK letter on either side, written without spaces: "告诉Tim，", "在清华大学读书",
    # "C航安"
    glue = rf"[^\W_{CJK_LETTERS}]"
    before = "" if cjk_letter(value[:1]) else rf"(?<!{glue})"
    after = "" if cjk_letter(value[-1:]) else rf"(?!{glue})"
    return re.compile(before + r"\s+".join(words) + after, re.IGNORECASE)


def apply_hidden(text: str, items: Sequence[Hidden], vault: Vault) -> tuple[str, int]:
    """``text`` with every occurrence of the items replaced by their placeholders (never
    inside an existing placeholder); the number of replacements."""
    count = 0
    for item in sorted(items, key=lambda i: -len(i.value)):
        pattern = _pattern(item.value)
        pieces = PLACEHOLDER_RE.split(text)
        # re.split with 2 groups yields [text, type, n, text, type, n, ...]: rebuild it
        rebuilt: list[str] = []
        for i in range(0, len(pieces), 3):
            plain = pieces[i]

            def sub(m: re.Match[str], item: Hidden = item) -> str:
                nonlocal count
                count += 1
                return vault.placeholder_for(item.entity_type, item.value)

            rebuilt.append(pattern.sub(sub, plain))
            if i + 2 < len(pieces):
                rebuilt.append(f"[{pieces[i + 1]}_{pieces[i + 2]}]")
        text = "".join(rebuilt)
    return text, count


def sweep_known(text: str, vault: Vault) -> tuple[str, int]:
    """Mask (``[TYPE]``, not restorable) every remaining occurrence of a value the vault
    already holds: a second mention the detectors did not mark, or another spelling of it
    ("message-content" for a hidden "messageContent"), found exactly as the egress guard
    finds them. The guard would refuse the request otherwise; this keeps the request and
    still sends nothing private (the guard runs after it all the same)."""
    spans: list[tuple[int, int, str]] = []
    for start, end, entity_type in sorted(find_known(text, vault), key=lambda s: (s[0], -s[1])):
        if spans and start < spans[-1][1]:
            continue  # overlaps an earlier, longer match
        spans.append((start, end, entity_type))
    for start, end, entity_type in reversed(spans):
        text = f"{text[:start]}[{entity_type}]{text[end:]}"
    return text, len(spans)


def sweep(texts: Sequence[str], vault: Vault) -> list[str]:
    """``sweep_known`` over each text; logs only the count."""
    out, count = [], 0
    for text in texts:
        swept, n = sweep_known(text, vault)
        out.append(swept)
        count += n
    if count:
        log.info("swept_known_values", count=count)
    return out


def hide(plan: Plan, vault: Vault, *, settings: PipelineSettings, model: LocalModel | None) -> None:
    """The step: rare terms (``hide_terms``), then, with an edge ``model`` (split mode) and
    ``hide_with_model``, what the model lists, unless the policy already keeps the request
    from the cloud. Known values are swept either way."""
    items = [*find_terms(plan.question), *find_terms(plan.context)] if settings.hide_terms else []
    replaced = plan.hide(items, vault)
    if settings.hide_terms:
        log.info("hidden_terms", items=len(items), replaced=replaced)
    if model is None or not settings.hide_with_model or plan.reroute(settings) != "cloud":
        return
    hider = Hider(model=model, settings=settings)
    items = hider.find(plan.whole)
    if hider.unparsed:  # best_effort let unreadable answers pass: the record says so
        plan.decisions["model_output_unparsed"] = str(hider.unparsed)
    plan.hide(items, vault)


def find_terms(text: str) -> list[Hidden]:
    """Rare and proper terms the detectors left (``terms`` detector: no model, milliseconds)."""
    if not text.strip():
        return []
    spans = _term_detector().detect(text)
    return list(
        {
            text[s.start : s.end].casefold(): Hidden(text[s.start : s.end], s.entity_type)
            for s in spans
        }.values()
    )


@lru_cache(maxsize=1)
def _term_detector() -> Detector:
    return create_detector("terms")


class Hider:
    """Reads the whole text in chunks (or refuses it) and returns what the model listed.

    Every character is read: the text is cut by ``chunk_text`` with an overlap of
    ``MAX_CHARS`` (so an item up to that long lies whole in some chunk), and a text that
    needs more than ``hide_max_chunks`` calls raises ``IncompleteCoverage`` before the first
    call. An unreadable answer is asked again once with a budget that holds the longest
    answer the schema allows (the usual cause is an answer cut off by ``hide_max_tokens``);
    a second one raises ``ModelOutputInvalid`` (``model_output_failure=closed``) or is
    counted in ``unparsed`` and skipped (``best_effort``)."""

    def __init__(self, *, model: LocalModel, settings: PipelineSettings) -> None:
        self.model = model
        self.settings = settings
        self.unparsed = 0  # chunks whose answer was unreadable twice (best_effort only)

    def chunks(self, text: str) -> list[str]:
        """The pieces the hider reads: all of ``text``, or ``IncompleteCoverage``."""
        s = self.settings
        overlap = min(MAX_CHARS, s.hide_chunk_chars // 4)
        chunks = chunk_text(text, size=s.hide_chunk_chars, overlap=overlap)
        if len(chunks) > s.hide_max_chunks:
            log.warning("hide_refused", chunks=len(chunks), limit=s.hide_max_chunks)
            raise IncompleteCoverage(
                f"the request is too long for the model hider: reading all of it takes "
                f"{len(chunks)} calls of at most {s.hide_chunk_chars} characters and "
                f"pipeline.hide_max_chunks allows {s.hide_max_chunks}; nothing was sent "
                "(attach long text as a document, shorten the request, or raise "
                "pipeline.hide_max_chunks)"
            )
        return chunks

    def find(self, text: str) -> list[Hidden]:
        chunks = self.chunks(text)
        self.unparsed = 0
        found: dict[str, Hidden] = {}
        public = 0  # items the allow-lists keep (counted, never logged by value)
        code = CodeContext.of(text)
        for chunk in chunks:
            for item in self._ask(chunk):
                if public_term(item, self.settings.terms) or code_word_only(item, text, code):
                    public += 1
                elif _pattern(item.value).search(chunk):
                    found.setdefault(item.value.casefold(), item)
        log.info(
            "hidden_by_model",
            items=len(found),
            public_kept=public,
            calls=len(chunks),
            unparsed=self.unparsed,
        )
        return list(found.values())

    def _ask(self, chunk: str) -> list[Hidden]:
        s = self.settings
        messages = load_prompt("hide", s.prompt_version).render(question=chunk)
        budget = s.hide_max_tokens
        for attempt in (1, 2):
            raw = self.model.chat(
                messages, local_params(budget, s.seed), json_schema=hide_schema(s.hide_max_items)
            )
            try:
                return parse_hidden(raw)
            except ModelOutputInvalid:
                log.warning("hide_answer_unreadable", attempt=attempt, chars=len(raw))
                # most often cut off by the budget: the retry may write the longest answer
                budget = max(2 * budget, answer_token_bound(s.hide_max_items))
        if s.model_output_failure == "closed":
            raise ModelOutputInvalid(
                "the edge model's answer to the hide step could not be read, twice; nothing "
                "was sent (pipeline.model_output_failure=closed)"
            )
        self.unparsed += 1
        return []
