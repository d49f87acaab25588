"""Korean road addresses and Korean person names that a title or an honorific marks.

The English NER model and the Latin-script term pass see Hangul as one unknown run, so a
Korean address or name inside a page of Korean or mixed text passes. Korean writes both
in fixed shapes:

- a road-name address (도로명주소): an optional province or city (서울, 부산광역시, 경기도),
  a district (…구 / …군 / …시), a road (…로 / …길, often numbered: 테헤란로 / 강남대로
  / 역삼로8길) and a building number (156, 12-3), then optionally a building name, a
  parenthesised name and a floor or unit (2층, 301호): STREET_ADDRESS;
- a person's name is a surname syllable and one or two given-name syllables; it is taken
  only where a title or field label introduces it (대표 김승일, 성명: 박지은, 담당자 이서준)
  or an honorific follows it (김승일님, 이서준 씨, 박지은 교수님): PERSON. The surname
  must be one of the common Korean surnames, a fact of the language, not a list of
  people.
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

H = r"[\p{Hangul}]"
ADDRESS = re.compile(
    rf"(?<!{H})(?:{H}{{2,6}}(?:특별시|광역시|특별자치시|특별자치도|시|도)?\s+)?"
    rf"{H}{{1,5}}(?:구|군|시)\s+(?:{H}{{1,5}}(?:구|동|읍|면)\s+)?"
    rf"{H}[\p{{Hangul}}0-9]{{0,10}}(?:로|길)\s*\d{{1,4}}(?:-\d{{1,4}})?"
    rf"(?:(?:\s*\([^()\n]{{1,30}}\))|(?:\s+(?!\d+층)[\p{{Hangul}}A-Za-z0-9]{{2,20}}(?=\s+[^\n]{{0,40}}?\d{{1,3}}(?:층|호)))){{0,3}}"
    rf"(?:\s+(?:[\p{{Hangul}}A-Za-z0-9]{{2,20}}\s+){{0,2}}(?:지하\s?)?\d{{1,3}}(?:층|호))?"
)
SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천"
    "방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예봉경사부가복태목형피두감음빈"
    "동온호범좌팽승간상시갈화"
)
NAME = rf"[{SURNAMES}]{H}{{1,2}}"
TITLE = (
    r"대표\s?이사|대표자|대표|사장|회장|원장|이사장|성명|이름|담당자|담당|작성자|신청인|고객명|"
    r"보호자|환자명|환자|예금주|수취인|받는\s?분|보내는\s?분"
)
HONORIFIC = r"님|씨|선생님|교수님|대표님|과장님|부장님|팀장님|사장님|고객님"
NAME_AFTER_TITLE = re.compile(rf"(?<!{H})(?:{TITLE})(?:\s*[:：]\s*|\s+)(?P<name>{NAME})(?!{H})")
# words of two or three syllables that start like a surname and follow a title: not names
NOT_NAMES = frozenset(
    "이사 이사장 전화 번호 정보 주소 안내 변경 문의 고객 명의 성함 연락처 이메일 사항 선택 입력".split()
)
NAME_BEFORE_HONORIFIC = re.compile(rf"(?<!{H})(?P<name>{NAME})\s?(?:{HONORIFIC})(?!{H})")


@register_detector
class HangulDetector(Detector):
    """Korean road addresses (STREET_ADDRESS) and titled Korean names (PERSON)."""

    name = "hangul"

    def detect(self, text: str) -> list[Span]:
        if not re.search(H, text):
            return []
        out = [
            Span(m.start(), m.end(), "STREET_ADDRESS", 0.8, self.name)
            for m in ADDRESS.finditer(text)
        ]
        for rx in (NAME_AFTER_TITLE, NAME_BEFORE_HONORIFIC):
            out.extend(
                Span(m.start("name"), m.end("name"), "PERSON", 0.7, self.name)
                for m in rx.finditer(text)
                if m.group("name") not in NOT_NAMES
            )
        return out
