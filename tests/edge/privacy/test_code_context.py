"""Code in a request: the language's own vocabulary stays readable, what is private in code
(secrets, e-mails, people's names in strings and comments, usernames in paths, the author's
own class names) is still hidden (``detectors/code_context.py``)."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors.code_context import CodeContext
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.settings import PrivacySettings

PYTHON = """Can you fix this script?
```python
import logging
from dataclasses import dataclass

@dataclass
class ReportBuilder:
    output_path: str
    debug_mode: bool = False

    def create_session(self, retry_count: int = 3) -> None:
        # written by Margaret Okonkwo for the billing team
        logging.basicConfig(level=logging.INFO)
        self.owner = "Margaret Okonkwo"
        self.api_key = "sk_live_51HxQ2aLkd8fPq93nVbT7wXyZ"
        self.contact = "m.okonkwo@quillfeather.io"
        self.report = open("C:\\\\Users\\\\okonkwom\\\\Documents\\\\report.csv")
```"""

CSHARP = """Оптимизируй код: using System; using System.Collections.Generic; using System.Linq;
using System.Windows.Controls; using Quillfeather.Billing.Windows;
namespace Quillfeather.Billing { public partial class InvoicePage : Page {
public void LoadContent() { var ledgerWindow = new LedgerWindow(); ledgerWindow.ShowDialog();
List<string> items = GetItems().Where(i => i != null).ToList();
mainGrid.HorizontalAlignment = HorizontalAlignment.Left; // ask Zbigniew Wrzosek
foreach (var item in items) { Console.WriteLine(item); } } } }"""

HTML = """Why does this page not load?
<!DOCTYPE html> <html lang="en"> <head> <meta charset="UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<title>Bus Schedule</title> <link rel="stylesheet" href="style.css" /> </head>
<body> <p>Maintained by Ingrid Solvang, ingrid.solvang@fjordline-demo.no</p>
<div id="scheduleContainer" class="container"></div> </body> </html>"""

JS = """const form = document.getElementById("search");
form.addEventListener("submit", async (event) => { event.preventDefault();
  const response = await fetch(apiUrl, { headers: { Authorization: "Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a" } });
  const scheduleData = await response.json(); console.log(scheduleData.length); });"""


@pytest.fixture(scope="module")
def engine():
    return build_engine(PrivacySettings(), terms=True)


def hidden(engine, text: str) -> set[str]:
    return {text[s.start : s.end] for s in engine.detect(text)}


def covered(engine, text: str, value: str) -> bool:
    """Every occurrence of ``value`` lies inside a hidden span."""
    spans = engine.detect(text)
    at = text.find(value)
    assert at >= 0, value
    while at >= 0:
        if not any(s.start <= at and at + len(value) <= s.end for s in spans):
            return False
        at = text.find(value, at + 1)
    return True


@pytest.mark.parametrize(
    ("snippet", "kept"),
    [
        (
            PYTHON,
            ["dataclass", "logging.basicConfig", "create_session", "debug_mode", "retry_count"],
        ),
        (CSHARP, ["System.Collections.Generic", "HorizontalAlignment", "GetItems", "ToList"]),
        (CSHARP, ["Console.WriteLine", "foreach", "items", "System.Windows.Controls"]),
        (HTML, ["DOCTYPE", "charset", "viewport", "stylesheet", "UTF-8"]),
        (JS, ["document.getElementById", "addEventListener", "preventDefault", "scheduleData"]),
    ],
)
def test_code_vocabulary_is_kept(engine, snippet: str, kept: list[str]) -> None:
    spans = engine.detect(snippet)
    for word in kept:
        at = snippet.find(word)
        assert at >= 0, word
        assert not any(s.start < at + len(word) and at < s.end for s in spans), word


@pytest.mark.parametrize(
    ("snippet", "private"),
    [
        (PYTHON, "Margaret Okonkwo"),  # in a comment and in a string literal
        (PYTHON, "sk_live_51HxQ2aLkd8fPq93nVbT7wXyZ"),  # a secret
        (PYTHON, "m.okonkwo@quillfeather.io"),  # an e-mail
        (PYTHON, "okonkwom"),  # a username in a Windows path
        (CSHARP, "Quillfeather"),  # the author's own namespace
        (CSHARP, "LedgerWindow"),  # a class the code instantiates
        (CSHARP, "ledgerWindow"),  # a variable spelled as that class
        (CSHARP, "Zbigniew Wrzosek"),  # a name in a comment
        (HTML, "Ingrid Solvang"),  # a name in an element's text
        (HTML, "ingrid.solvang@fjordline-demo.no"),
        (JS, "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),  # a token in a string literal
    ],
)
def test_what_is_private_in_code_stays_hidden(engine, snippet: str, private: str) -> None:
    assert covered(engine, snippet, private), private


def test_prose_is_no_code() -> None:
    text = "Hi, I am Rose Baker (from Leeds). Could you review my cover letter for the job?"
    context = CodeContext.of(text)
    assert context.regions == ()
    assert not context.in_code(text.find("Rose"), text.find("Rose") + 4)


def test_placeholders_in_a_chat_log_are_no_code() -> None:
    """The term pass reads text the detectors already redacted: a chat log full of
    placeholders must not read as code (it kept the speakers' names there)."""
    text = (
        "Hello [PERSON_1] and [PERSON_2], [3pm] Tiffany: ok, sending it now. My mobile is "
        "[PHONE_NUMBER_1], text [EMAIL_ADDRESS_1]. [noon] Billy: yes, call me on [PHONE_NUMBER_2]"
    )
    context = CodeContext.of(text)
    assert context.regions == ()
    assert not context.in_code(text.find("Tiffany"), text.find("Tiffany") + 7)


def test_literals_and_comments_inside_code_are_not_code() -> None:
    text = 'x = f(a); y = g(b); z = h(c); // call Rose Baker\nname = "Rose Baker"; w = k(d);'
    context = CodeContext.of(text)
    for at in (text.find("Rose"), text.rfind("Rose")):
        assert not context.in_code(at, at + 4)
    assert context.in_code(text.find("name"), text.find("name") + 4)
