"""The japanese detector: names an honorific or a self-introduction marks, institutions by
their suffix; role words and ordinary sentences are left alone."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.edge.privacy.vault import Vault


def found(text: str) -> set[tuple[str, str]]:
    spans = create_detector("japanese").detect(text)
    return {(s.entity_type, text[s.start : s.end]) for s in spans}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("山田様に連絡してください。", ("PERSON", "山田")),
        ("佐藤先生によろしく。", ("PERSON", "佐藤")),
        ("スミス氏が来ます。", ("PERSON", "スミス")),
        ("吉田さんは元気です。", ("PERSON", "吉田")),
        ("私は田中太郎です。", ("PERSON", "田中太郎")),
        ("田中と申します。", ("PERSON", "田中")),
        ("吉田さんは日本銀行に勤めています", ("ORGANIZATION", "日本銀行")),
        ("株式会社サンプルの者です。", ("ORGANIZATION", "株式会社サンプル")),
        ("聖路加国際病院に入院しました。", ("ORGANIZATION", "聖路加国際病院")),
    ],
)
def test_marked_names_and_institutions_are_found(text: str, expected: tuple[str, str]) -> None:
    assert expected in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "お客様各位、皆様のご協力に感謝します。",  # role words before an honorific
        "今日は天気がいいですね。2023年10月15日に会議があります。",
        "田中太郎 is a name in Chinese-looking text without Kana",  # left to terms_han
    ],
)
def test_role_words_and_ordinary_sentences_are_not_names(text: str) -> None:
    assert found(text) == set()


def test_the_engine_hides_a_japanese_name_and_keeps_the_request() -> None:
    engine = build_engine(PrivacySettings(), terms=True)
    text = "山田太郎様へのメールを書いてください。東京大学の件です。"
    redacted = engine.redact(text, Vault()).text
    assert "山田太郎" not in redacted and "東京大学" not in redacted
    assert "メールを書いてください" in redacted
    assert "japanese" in PrivacySettings().detectors
