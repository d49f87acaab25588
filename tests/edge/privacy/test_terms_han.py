"""Chinese text is segmented (jieba): its names, places and institutions are hidden, its
words are not.

Before, a Chinese text lost nothing to the term pass (王小明 and a university went out as
written) while the English NER model hid a whole paragraph as one LOCATION, and an English
request lost its Chinese instruction ("用中文翻译") to a placeholder."""

from __future__ import annotations

import marshal
import tempfile
from pathlib import Path

import pytest

from privsplit.edge.privacy.detectors import create_detector, terms_han
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.edge.privacy.vault import Vault


@pytest.fixture(scope="module")
def engine():
    return build_engine(PrivacySettings(), terms=True)


def found(engine, text: str) -> dict[str, str]:
    return {text[s.start : s.end]: s.entity_type for s in engine.detect(text)}


def test_names_places_and_institutions_of_a_chinese_text_are_hidden(engine) -> None:
    text = "我叫王小明，住在北京市朝阳区，在清华大学读书。张伟经理说李娜明天来腾讯公司开会。"
    spans = found(engine, text)
    assert spans["王小明"] == "PERSON"
    assert spans["张伟"] == spans["李娜"] == "PERSON"
    assert spans["北京市"] == spans["朝阳区"] == "LOCATION"
    assert spans["清华大学"] == spans["腾讯公司"] == "ORGANIZATION"
    # the sentence around them is read, not hidden: 经理 (manager), 开会 (a meeting)
    redacted = engine.redact(text, Vault()).text
    assert "经理说" in redacted and "明天来" in redacted and "开会" in redacted


def test_the_english_models_guess_over_a_chinese_paragraph_is_dropped(engine) -> None:
    text = (
        "中译英：在哈尔滨工程大学就读本科期间，我的绩点排名前5%，并荣获校级学习优秀奖。"
        "在杜伦大学完成新能源与可再生能源本硕连读学位期间，我也取得了优秀成绩。"
    )
    spans = found(engine, text)
    assert spans == {"哈尔滨工程大学": "ORGANIZATION", "杜伦大学": "ORGANIZATION"}


def test_ordinary_words_the_dictionary_tags_as_names_are_kept() -> None:
    # jieba's dictionary tags 明白 (understand) nr, 福利 (benefits) and 城市 (city) ns,
    # 重新安排 (reschedule) nt
    text = "我明白了，我们已经重新安排了时间。这个城市的福利很好，我的哥哥也这么说。"
    assert terms_han.han_spans(text) == []


def test_a_chinese_instruction_in_an_english_request_is_kept(engine) -> None:
    text = "用中文翻译: Yesterday Jordi Bruin released MacGPT. 请将这段话翻译成中文"
    redacted = engine.redact(text, Vault()).text
    assert redacted.startswith("用中文翻译") and redacted.endswith("请将这段话翻译成中文")
    assert "Jordi Bruin" not in redacted


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Do you think I can marry the actor 曾舜晞?", "曾舜晞"),  # cut into single characters
        ("Meeting with 田中太郎 tomorrow", "田中太郎"),  # a Japanese name in kanji
        ("Please send it to 欧阳娜娜 and Bob", "欧阳娜娜"),  # a two-character surname
        ("Escalating this one from 想. Assigned to tier 2.", "想"),  # a name that is a verb
        ("Translate the name 艺传新闻小助手 into English.", "艺传新闻小助手"),  # nouns only
    ],
)
def test_a_name_in_english_text_is_hidden_whole(engine, text: str, name: str) -> None:
    assert name not in engine.redact(text, Vault()).text


def test_japanese_text_is_left_to_the_other_detectors() -> None:
    assert terms_han.han_spans("田中太郎です。東京大学で働いています。") is None
    assert terms_han.han_spans("no Han here") == []


def test_without_jieba_a_han_run_in_latin_text_is_hidden_whole(monkeypatch) -> None:
    monkeypatch.setattr(terms_han, "segmenter", lambda: None)
    text = "用中文翻译: the meeting moved to Friday"
    hidden = {text[s.start : s.end] for s in create_detector("terms").detect(text)}
    assert "用中文翻译" in hidden


def test_a_planted_jieba_cache_is_never_read_nor_one_written(tmp_path: Path, monkeypatch) -> None:
    """jieba keeps its dictionary cache in the shared temporary directory, where another
    local user could plant one that makes a name an ordinary word. The segmenter is built
    in memory and never looks there."""
    planted = tmp_path / "jieba.cache"
    planted.write_bytes(marshal.dumps(({"王小明": 10**9, "王": 1, "王小": 1}, 10**9)))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    terms_han.segmenter.cache_clear()
    try:
        spans = terms_han.han_spans("我叫王小明，今天很忙。")
    finally:
        terms_han.segmenter.cache_clear()
    assert [("王小明", "PERSON")] == [
        ("我叫王小明，今天很忙。"[s.start : s.end], s.entity_type) for s in spans or []
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jieba.cache"]
