"""The hangul detector: Korean road addresses and titled Korean names."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.settings import PrivacySettings


def _found(text: str) -> set[tuple[str, str]]:
    return {(s.entity_type, text[s.start : s.end]) for s in create_detector("hangul").detect(text)}


@pytest.mark.parametrize(
    "address",
    [
        "서울특별시 종로구 세종대로 209 정부서울청사 3층",
        "부산 해운대구 해운대로 570",
        "경기도 성남시 분당구 판교역로 235 에이치스퀘어 N동 8층",
        "서울 마포구 독막로 12 (합정빌딩) 4층",
    ],
)
def test_road_addresses(address: str) -> None:
    assert _found(f"오시는 길: {address} | 문의") == {("STREET_ADDRESS", address)}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("(주)한빛 | 대표 정우석 | 사업자등록번호", "정우석"),
        ("담당자: 이서준", "이서준"),
        ("성명:박지은", "박지은"),
        ("최민아님 안녕하세요", "최민아"),
        ("대표이사 한도윤", "한도윤"),
    ],
)
def test_names_a_title_or_an_honorific_marks(text: str, name: str) -> None:
    assert _found(text) == {("PERSON", name)}


@pytest.mark.parametrize(
    "text",
    [
        "대표전화 070-1234-5678",  # "representative phone", not a title before a name
        "대표 이사 회의는 내일입니다",  # a title, then a word, not a name
        "한국은 좋은 나라입니다. 서울은 크다.",  # a city alone is no address
        "The office is at 12 Main Street",
    ],
)
def test_words_that_are_not_names_or_addresses(text: str) -> None:
    assert _found(text) == set()


def test_it_runs_by_default() -> None:
    assert "hangul" in PrivacySettings().detectors
