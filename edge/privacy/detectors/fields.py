"""Private values that structured text labels by position: data fields, SQL rows, paths, hosts.

Code, JSON and SQL pasted into a request carry names that no sentence introduces, so NER
and the name cues do not see them; the structure says what they are instead:

- a string value under a name-like key (``"first_name": "John"``, ``author='Ana Ruiz'``,
  ``last_name: “Togo”``) is a PERSON (``username``/``login``: a USERNAME). A bare ``name``
  key names products and packages as often as people, so its value counts only when it
  is written like a person's name (one to three capitalized words);
- a SQL row: ``CREATE TABLE t (id INT, first_name VARCHAR(50), ...)`` and
  ``INSERT INTO t [(columns)] VALUES (...), (...)``: each string literal in a name-like
  column of ``t`` is a PERSON;
- the user folder of a home path (``C:\\Users\\ana\\Documents``, ``/home/ana/``,
  ``/Users/ana/``) is a USERNAME;
- the host a connection names (``host=db-ana``, ``at "ariel" (port 5432)``, as PostgreSQL
  and pgloader print it) is a HOSTNAME, unless it is loopback.

No lists of names: the key, the column or the position is the evidence.
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

OPEN_Q, CLOSE_Q = "\"'“‘`", "\"'”’`"
# name-like keys and columns: first_name, lastName, "full name", author, customer, ...
PERSON_KEY = (
    r"(?:first|last|middle|given|family|full|sur|maiden|nick|display|real|legal|contact|"
    r"customer|client|patient|employee|student|author|owner|manager|supervisor|sender|"
    r"recipient|emergency[_ ]?contact)[_ -]?name|surname|forename|author|contact_person"
)
USER_KEY = r"user[_ -]?name|login|user_?id|handle|screen[_ -]?name"
KEY = rf"(?P<key>(?i:{PERSON_KEY}|{USER_KEY}|name))"
KEY_VALUE = re.compile(
    rf"(?<![\w-])[{OPEN_Q}]?{KEY}[{CLOSE_Q}]?\s*(?::|=>?|->)\s*"
    rf"[{OPEN_Q}](?P<value>[^{CLOSE_Q}\n\[\]{{}}()=;]{{1,60}})[{CLOSE_Q}]"
)
PERSON_LIKE = re.compile(r"\p{Lu}[\p{Ll}\p{M}'’.-]*(?:\s+\p{Lu}[\p{Ll}\p{M}'’.-]*){0,2}")
PERSON_COLUMN = re.compile(rf"(?i:{PERSON_KEY}|{USER_KEY})")
CREATE = re.compile(
    r"(?i:create\s+table(?:\s+if\s+not\s+exists)?)\s+[`\"\[]?(?P<table>[\w.]+)[`\"\]]?\s*\("
)
INSERT = re.compile(
    r"(?i:insert\s+into)\s+[`\"\[]?(?P<table>[\w.]+)[`\"\]]?\s*(?:\((?P<cols>[^()]*)\))?\s*"
    r"(?i:values)\s*"
)
TUPLE = re.compile(r"\(((?:'(?:[^']|'')*'|[^()'])*)\)")
ITEM = re.compile(r"'(?:[^']|'')*'|[^,]+")
CONSTRAINT = re.compile(r"(?i:primary|foreign|unique|constraint|key|index|check)\b")
HOME = re.compile(
    r"(?i:(?<![\w])[a-z]:[\\/]+(?:users|documents and settings)[\\/]+|(?<![\w.])/(?:home|Users)/)"
    r"(?P<user>[^\\/\s\"'”“:*?<>|]{1,40})(?=[\\/])"
)
HOST = re.compile(
    r"(?i:\bhost(?:name)?\s*[=:]\s*)[\"'“]?(?P<host>[A-Za-z0-9][\w.-]{0,62})"
    r"|(?i:\bat\s+)[\"“](?P<host2>[A-Za-z0-9][\w.-]{0,62})[\"”]\s*\((?i:port)\s+\d+\)"
)
PUBLIC_FOLDERS = frozenset({"public", "default", "all users", "default user", "shared"})
LOOPBACK = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1"})
PLACEHOLDER_WORDS = frozenset({"user", "username", "your_name", "yourname", "me", "you", "name"})


def _columns(body: str) -> list[str]:
    """Column names of a CREATE TABLE body (constraints skipped; commas in types kept)."""
    cols, depth, start = [], 0, 0
    for i, ch in enumerate(body + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            part = body[start:i].strip()
            start = i + 1
            if part and not CONSTRAINT.match(part):
                cols.append(part.split()[0].strip('`"[]'))
    return cols


def _create_bodies(text: str) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for m in CREATE.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        tables[m.group("table").casefold()] = _columns(text[m.end() : i - 1])
    return tables


def _sql_spans(text: str) -> list[Span]:
    if not INSERT.search(text):
        return []
    tables = _create_bodies(text)
    out: list[Span] = []
    for m in INSERT.finditer(text):
        cols = (
            [c.strip().strip('`"[]') for c in m.group("cols").split(",")]
            if m.group("cols")
            else tables.get(m.group("table").casefold(), [])
        )
        wanted = {i for i, c in enumerate(cols) if PERSON_COLUMN.fullmatch(c)}
        if not wanted:
            continue
        pos = m.end()
        while (t := TUPLE.match(text, pos)) is not None:
            for i, item in enumerate(ITEM.finditer(t.group(1))):
                raw = item.group().strip()
                if i in wanted and len(raw) > 2 and raw[0] == "'" and raw[-1] == "'":
                    start = t.start(1) + item.start() + item.group().index("'") + 1
                    out.append(Span(start, start + len(raw) - 2, "PERSON", 0.8, "fields"))
            pos = t.end()
            sep = re.compile(r"\s*,\s*").match(text, pos)
            if sep is None:
                break
            pos = sep.end()
    return out


@register_detector
class FieldDetector(Detector):
    """Names in data fields and SQL rows, users in home paths, hosts in connection strings
    (PERSON, USERNAME, HOSTNAME)."""

    name = "fields"

    def detect(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in KEY_VALUE.finditer(text):
            value = m.group("value").strip()
            start = m.start("value") + m.group("value").index(value) if value else 0
            if not value or not any(c.isalpha() for c in value):
                continue
            if value.casefold() in PLACEHOLDER_WORDS or len(value.split()) > 4:
                continue
            key = m.group("key")
            if re.fullmatch(USER_KEY, key, flags=re.IGNORECASE):
                kind = "USERNAME"
            elif key.casefold() == "name" and not PERSON_LIKE.fullmatch(value):
                continue
            else:
                kind = "PERSON"
            out.append(Span(start, start + len(value), kind, 0.8, self.name))
        out.extend(_sql_spans(text))
        for m in HOME.finditer(text):
            user = m.group("user")
            if user.casefold() not in PUBLIC_FOLDERS | PLACEHOLDER_WORDS and "%" not in user:
                out.append(Span(m.start("user"), m.end("user"), "USERNAME", 0.8, self.name))
        for m in HOST.finditer(text):
            group = "host" if m.group("host") else "host2"
            if m.group(group).casefold() not in LOOPBACK:
                out.append(Span(m.start(group), m.end(group), "HOSTNAME", 0.7, self.name))
        return out
