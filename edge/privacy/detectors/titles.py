"""Names of organizations, pages, projects and publications written as titles mid-sentence.

The term pass judges words by their rarity, so a name made of common words ("Small
Science", "Near Crisis Project") passes it, and the small NER model often misses it. A
naming noun right before a quoted or title-case name marks it whatever its words: "the
journal Small Science", "research group “Near Crisis Project”", "our podcast 'Night
Shift'" (after a determiner, two or more capitalized words; quoted, one or more). It is an
ORGANIZATION (the placeholder type the pipeline uses for named things). Chinese and
Japanese write the same shape with their own nouns and quotes: 公众号“…”, 公司「…」.

Title case alone is no evidence: a run like "Key To The World" mid-sentence is as often a
heading glued to a sentence ("Potential Risks The ...", "Percent By Mass"); on PUPA such
a rule hid 2 private units for 12 requests of public words, so it is not used.
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

CAP = r"(?:\p{Lu}[\p{Ll}\p{M}'’&-]*|\d+)"
NOUNS = (
    r"journal|magazine|newspaper|podcast|channel|newsletter|blog|band|brand|company|firm|"
    r"startup|agency|studio|group|project|team|lab|club|organization|organisation|charity|"
    r"foundation|page|account|app|store|shop|restaurant|cafe|café|bakery|hotel|clinic|school"
)
QUOTED = re.compile(rf"(?i:\b(?:{NOUNS}))[ \t]+[\"“‘'](?P<name>\p{{Lu}}[^\"”’'\n]{{0,40}}?)[\"”’']")
NAMED = re.compile(
    rf"(?i:\b(?:the|our|my|their|his|her|a)[ \t]+(?:{NOUNS}))[ \t]+"
    rf"(?P<name>\p{{Lu}}[\p{{Ll}}\p{{M}}'’&-]+(?:[ \t]+{CAP}){{1,4}})"
)

CJK_NOUNS = (
    r"公众号|公眾號|账号|帳號|公司|品牌|频道|頻道|团队|團隊|小组|小組|项目|項目|杂志|雜誌|期刊|"
    r"餐厅|餐廳|学校|學校|医院|醫院|会社|チャンネル|ブランド"
)
CJK_QUOTED = re.compile(rf"(?:{CJK_NOUNS})\s*[“「『\"](?P<name>[^”」』\"\n]{{1,24}})[”」』\"]")


@register_detector
class TitleDetector(Detector):
    """Title-case names of organizations, pages and publications (ORGANIZATION)."""

    name = "titles"

    def detect(self, text: str) -> list[Span]:
        return [
            Span(m.start("name"), m.end("name"), "ORGANIZATION", 0.6, self.name)
            for rx in (QUOTED, NAMED, CJK_QUOTED)
            for m in rx.finditer(text)
        ]
