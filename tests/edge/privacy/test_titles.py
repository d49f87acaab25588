"""The titles detector: names of common words that a naming noun introduces."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.settings import PrivacySettings


def _found(text: str) -> set[str]:
    return {text[s.start : s.end] for s in create_detector("titles").detect(text)}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The paper is published in the journal Small Science. It", "Small Science"),
        ("the research group “Near Crisis Project” at the institute", "Near Crisis Project"),
        ("we launched our podcast 'Night Shift' last May", "Night Shift"),
        ("I work for the startup Blue Harbor Labs in Oslo", "Blue Harbor Labs"),
    ],
)
def test_names_after_a_naming_noun(text: str, name: str) -> None:
    assert _found(text) == {name}


@pytest.mark.parametrize(
    "text",
    [
        "Potential Risks The Longport Police Department",  # a heading, not a naming noun
        "the journal is open to all",
        "our team Meets on Mondays",  # one capitalized word, unquoted
        "Percent By Mass of the solution",
    ],
)
def test_title_case_alone_is_not_a_name(text: str) -> None:
    assert _found(text) == set()


def test_it_runs_by_default() -> None:
    assert "titles" in PrivacySettings().detectors


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我运营的微信公众号“晨光读书会”每周更新", "晨光读书会"),
        ("取引先の会社「青葉商事」について", "青葉商事"),
    ],
)
def test_cjk_names_after_a_naming_noun(text: str, name: str) -> None:
    assert _found(text) == {name}
