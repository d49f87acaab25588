"""Japanese person names that an honorific or a self-introduction marks, and institutions
named by their suffix.

Japanese is written without spaces and mixes kanji, hiragana and katakana; the English NER
model does not read it and jieba (``terms_han``) does not segment it (a text with Kana is
left alone there). Japanese writes names in fixed places, as Korean does (``hangul``):

- a name before an honorific (田中さん, 山田太郎様, 佐藤先生, スミス氏, 鈴木部長): a run of
  two to six kanji or of katakana, after anything that is not kanji or katakana: PERSON;
- a name in a self-introduction (私は田中太郎です, 田中と申します, 名前は田中太郎): PERSON;
- an institution: a run of kanji or katakana ending in a word for one (東京大学, 日本銀行,
  トヨタ自動車株式会社, 株式会社サンプル, 聖路加国際病院): ORGANIZATION.

Hiragana ends a run, so a particle before a name (は, に, の) is never taken into it.
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

KANJI = r"\p{Han}々"
KATAKANA = r"\p{Katakana}ー・"
NAME = rf"(?:[{KANJI}]{{2,6}}|[{KATAKANA}]{{2,12}})"
HONORIFIC = r"さん|様|さま|氏|先生|君|くん|ちゃん|殿|社長|部長|課長|教授|選手"
# role words written like names before an honorific: "お客様", "皆様", "担当者様"
NOT_NAMES = frozenset(
    "皆 皆さん お客 担当者 担当 先方 貴社 御社 会員 利用者 患者 各位 奥 旦那".split()
)
NAME_BEFORE_HONORIFIC = re.compile(
    rf"(?<![{KANJI}{KATAKANA}])(?P<name>{NAME})(?:{HONORIFIC})(?![{KANJI}])"
)
SELF_INTRODUCTION = re.compile(
    rf"(?:私は|わたしは|僕は|名前は|氏名[:：]\s*)(?P<name>{NAME})(?=です|と申します|といいます|[。、\s])"
    rf"|(?<![{KANJI}{KATAKANA}])(?P<name2>{NAME})(?=と申します|といいます)"
)
INSTITUTION = re.compile(
    rf"(?:株式会社|有限会社)[{KANJI}{KATAKANA}A-Za-z]{{1,20}}"
    rf"|(?<![{KANJI}{KATAKANA}])[{KANJI}{KATAKANA}]{{1,20}}"
    r"(?:大学|高校|高等学校|中学校|小学校|病院|クリニック|銀行|株式会社|有限会社|研究所|事務所|財団)"
)


@register_detector
class JapaneseDetector(Detector):
    """Japanese names before an honorific or in a self-introduction (PERSON), and
    institutions by their suffix (ORGANIZATION)."""

    name = "japanese"

    def detect(self, text: str) -> list[Span]:
        if not re.search(r"[\p{Hiragana}\p{Katakana}]", text):
            return []  # no Kana: not Japanese (Chinese is read by terms_han)
        out: list[Span] = []
        for m in NAME_BEFORE_HONORIFIC.finditer(text):
            if m.group("name") not in NOT_NAMES:
                out.append(Span(m.start("name"), m.end("name"), "PERSON", 0.7, self.name))
        for m in SELF_INTRODUCTION.finditer(text):
            group = "name" if m.group("name") else "name2"
            out.append(Span(m.start(group), m.end(group), "PERSON", 0.7, self.name))
        out.extend(
            Span(m.start(), m.end(), "ORGANIZATION", 0.7, self.name)
            for m in INSTITUTION.finditer(text)
        )
        return out
