"""Social handles and user names: ``@first.last``, ``@name123``, ``u/name``, ``user: jdoe42``,
the owner of a ``TODO(jdoe)`` and the user and password of ``scheme://user:password@host``.

An ``@`` directly before a name-like token is a handle unless the ``@`` is part of an
e-mail address (a word character before it) or the token is a language's own keyword:
decorators and annotations (``@property``, ``@Override``, ``@app.route(...)`` on a line of
its own), CSS at-rules (``@media``), doc-comment tags (``@param``). Those are public
vocabulary, not people. A login given after a cue ("username: jdoe_42") is a handle too
when it looks made up (a digit, ``_`` or ``.`` inside) or follows an explicit label.
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as zipf_frequency
from privsplit.edge.privacy.spans import Span

HANDLE = re.compile(
    r"(?<![\w@.+/\\-])@(?P<h>[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,48}[A-Za-z0-9_])?)(?![\w@]|\.[A-Za-z]{2,}\b)"
)
REDDIT = re.compile(
    r"(?<![\w/])/?u/(?P<h>[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{1,28}[A-Za-z0-9_])?)(?![\w/])"
)
# code: "# TODO(jdoe): ...", and the user of a URL with credentials ("postgres://jdoe:pw@db")
TODO_OWNER = re.compile(r"\b(?:TODO|FIXME|XXX|HACK|NOTE|BUG)\((?P<h>[^()\s,]{2,40})\)")
URL_USER = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://(?P<h>[^\s:/@]{1,64}):(?P<p>[^\s@/]{1,128})@")
# cue words that name a login outright, and ones that do only with ':' or '=' ("user=jdoe")
STRONG_CUES = (
    r"user\s?name|user\s?id|login|screen\s?name|gamertag|nick(?:name)?|account\s+name|"
    r"posted\s+by|utilisateur|pseudo|usuario|benutzer(?:name)?"
)
CUED = re.compile(
    rf"(?i:\b(?:(?P<strong>{STRONG_CUES})|user|handle|alias))"
    r"(?P<sep>\s*[:=]\s*|\s+(?:is\s+)?)[\"'`]?(?P<h>[A-Za-z][A-Za-z0-9_.-]{2,31}[A-Za-z0-9])(?![\w@])"
)
# language keywords written with @ (decorators, annotations, at-rules, doc tags, directives)
AT_KEYWORDS = frozenset(
    """property staticmethod classmethod abstractmethod cached_property dataclass override
    overload final wraps contextmanager lru_cache cache total_ordering singledispatch
    Override Deprecated deprecated SuppressWarnings FunctionalInterface SafeVarargs Test
    Before After BeforeEach AfterEach Autowired Component Service Repository Controller
    RestController Entity Table Column Id GeneratedValue Bean Configuration Value Inject
    Injectable NgModule Input Output Transactional Nullable NonNull Getter Setter Data
    Builder objc synthesize interface implementation end selector import media font-face
    keyframes charset supports page namespace layer container apply tailwind mixin include
    extend use forward each if else return returns param params type typedef throws throw
    see since author version link example deprecated todo note brief file class var
    const async await override mock patch fixture pytest parametrize echo off tag
    Published State Binding ObservedObject EnvironmentObject MainActor escaping
    available discardableResult main""".split()
)
PLAIN_WORDS = frozenset(
    """is me my you the all here everyone someone channel home admin admins mods mod moderator
    moderators team support everybody""".split()
)
DECORATOR_LINE = re.compile(r"^[ \t]*@[\w.]+(?:\(.*\))?[ \t]*$", re.MULTILINE)


def _common_word(token: str) -> bool:
    try:
        import wordfreq  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency of the edge extra
        return token.islower()
    return zipf_frequency(token.casefold(), "en") >= 3.0


# a name with one of these after its last dot is a file or a host, not a login
FILE_SUFFIXES = frozenset(
    """py js ts json txt md yaml yml html htm css csv log cfg ini xml toml sh exe dll so conf io
    com org net dev app pdf doc docx png jpg gif zip tar gz sql db env lock rs go java rb php c h
    cpp""".split()
)


def _login_shaped(token: str) -> bool:
    """``jose.lowe``, ``jamie_braun``, ``the_real_paul``, ``kim88``: made up, not a word
    or a file name."""
    if token.rsplit(".", 1)[-1].casefold() in FILE_SUFFIXES and "." in token:
        return False
    return (
        "_" in token
        or "." in token
        or (any(c.isdigit() for c in token) and token[0].isalpha() and token[-1].isdigit())
    )


def _is_keyword(token: str) -> bool:
    head = token.split(".")[0]
    return token in AT_KEYWORDS or head in AT_KEYWORDS or token.casefold() in PLAIN_WORDS


@register_detector
class HandleDetector(Detector):
    """@handles, u/names and cued user names (entity USERNAME)."""

    name = "handles"
    structured = True

    def detect(self, text: str) -> list[Span]:
        out: list[Span] = []
        decorator_lines = {m.start() for m in DECORATOR_LINE.finditer(text)}
        for m in HANDLE.finditer(text):
            token = m.group("h")
            line_start = text.rfind("\n", 0, m.start()) + 1
            if _is_keyword(token) or not any(c.isalpha() for c in token):
                continue
            if line_start in decorator_lines and "\n" in text[m.end() :]:
                continue  # a decorator or annotation line above code
            if re.fullmatch(r"\d{1,2}(?:[:.]\d\d)?(?:am|pm|h)?", token, re.IGNORECASE):
                continue  # "@5pm": a time
            out.append(Span(m.start(), m.end(), "USERNAME", 0.85, self.name))
        for m in REDDIT.finditer(text):  # the name only: "u/" is the site's prefix
            out.append(Span(*m.span("h"), "USERNAME", 0.8, self.name))
        for m in TODO_OWNER.finditer(text):
            out.append(Span(*m.span("h"), "USERNAME", 0.75, self.name))
        for m in URL_USER.finditer(text):
            out.append(Span(*m.span("h"), "USERNAME", 0.8, self.name))
            out.append(Span(*m.span("p"), "SECRET", 0.9, self.name))
        for m in CUED.finditer(text):
            token = m.group("h")
            explicit = ":" in m.group("sep") or "=" in m.group("sep")
            made_up = any(c.isdigit() or c in "_." for c in token)
            if token.casefold() in PLAIN_WORDS:
                continue
            bare_user = m.group(0)[:4].casefold() == "user" and _login_shaped(token)
            if not (explicit or m.group("strong") or bare_user):
                continue  # "user settings": only a made-up login follows a bare "user"
            if not (explicit or made_up) and _common_word(token):
                continue  # "login failed", "posted by before"
            start, end = m.span("h")
            out.append(Span(start, end, "USERNAME", 0.75 if made_up else 0.6, self.name))
        return out
