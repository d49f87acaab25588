"""Values glued to Chinese, Japanese and Korean text (no space, no word boundary) are found
by the structured detectors, in the engine and in the egress guard; CJK text without a
private value is not read as one."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.factory import build_egress_guard, build_engine
from privsplit.edge.privacy.guard import EgressGuard
from privsplit.edge.privacy.scripts import BREAK, cjk_as_breaks, structured_spans
from privsplit.edge.privacy.settings import PrivacySettings
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import PrivacyBlocked


@pytest.fixture(scope="module")
def engine() -> PrivacyEngine:
    return build_engine(PrivacySettings(), terms=True)


@pytest.fixture(scope="module")
def guard() -> EgressGuard:
    return build_egress_guard(PrivacySettings())


def found(engine: PrivacyEngine, text: str) -> set[tuple[str, str]]:
    return {(s.entity_type, text[s.start : s.end]) for s in engine.detect(text)}


@pytest.mark.parametrize(
    "text,entity_type,value",
    [
        ("我的电话是138-1234-5678。", "PHONE_NUMBER", "138-1234-5678"),
        ("私の電話番号は090-1234-5678です。", "PHONE_NUMBER", "090-1234-5678"),
        ("내 전화번호는 010-1234-5678입니다.", "PHONE_NUMBER", "010-1234-5678"),
        ("邮箱是wang@example.com，电话+86 138 1234 5678", "EMAIL_ADDRESS", "wang@example.com"),
        ("邮箱是wang@example.com，电话+86 138 1234 5678", "PHONE_NUMBER", "+86 138 1234 5678"),
        ("卡号4111111111111111。", "CREDIT_CARD", "4111111111111111"),
        ("服务器IP是192.168.1.1。", "IP_ADDRESS", "192.168.1.1"),
        ("電話（03）1234－5678まで", "PHONE_NUMBER", "（03）1234－5678"),
    ],
)
def test_values_glued_to_cjk_text_are_found(
    engine: PrivacyEngine, text: str, entity_type: str, value: str
) -> None:
    assert (entity_type, value) in found(engine, text)


def test_a_phone_number_after_a_chinese_cue_is_not_a_card(engine: PrivacyEngine) -> None:
    types = {t for t, _ in found(engine, "邮箱是wang@example.com，电话+86 138 1234 5678")}
    assert "CREDIT_CARD" not in types


@pytest.mark.parametrize(
    "text",
    [
        "今天天气很好，2023年的夏天很热，气温35度。",
        "会议定于2023年10月15日14:30举行。",
        "2023年第3季度营收增长了15%，达到1234万元。",
        "价格是1234.56元，数量3个。",
        "2023年10月15日に東京で会いましょう。",
        "2023년 10월 15일에 만나요.",
    ],
)
def test_cjk_text_without_a_private_value_is_not_flagged(engine: PrivacyEngine, text: str) -> None:
    # a CJK character between digits is no separator: "2023年10月15日" is no ID or phone
    structured = [d for d in engine.detectors if d.structured]
    flagged = [
        s
        for d in structured
        for s in structured_spans(d, [text])[0]
        if engine.policy.counts(s, text)
    ]
    assert flagged == []


def test_the_broken_form_keeps_length_and_offsets() -> None:
    latin = "Call +1 555 0100 or mail ana@example.org, ＩＤ １２３."
    assert cjk_as_breaks(latin) is latin  # fullwidth digits and letters are kept
    mixed = "电话：090-1234-5678，見てね𠀀x 한국어　end"
    broken = cjk_as_breaks(mixed)
    assert len(broken) == len(mixed)
    assert broken.index("090-1234-5678") == mixed.index("090-1234-5678")
    assert broken[2] == ":" and broken[-4] == " "  # fullwidth colon, ideographic space
    assert broken[broken.index("x") - 1] == BREAK  # a character outside the BMP: one break
    assert all(a == b for a, b in zip(mixed, broken) if a.isascii())


def test_a_pattern_across_cjk_characters_is_still_found(engine: PrivacyEngine) -> None:
    text = "网址：https://例子.中国/path"
    assert ("URL", "https://例子.中国/path") in found(engine, text)


@pytest.mark.parametrize(
    "outbound,entity_type",
    [
        ("请拨打090-1234-5678联系他", "PHONE_NUMBER"),
        ("邮箱是wang@example.com的用户", "EMAIL_ADDRESS"),
        ("내 번호는 010-1234-5678입니다", "PHONE_NUMBER"),
    ],
)
def test_the_guard_refuses_a_value_glued_to_cjk_text(
    guard: EgressGuard, outbound: str, entity_type: str
) -> None:
    with pytest.raises(PrivacyBlocked) as info:
        guard.check([outbound], Vault())
    assert entity_type in info.value.entity_types
    assert "5678" not in info.value.message and "wang" not in info.value.message


def test_the_guard_passes_cjk_text_with_dates_and_amounts(guard: EgressGuard) -> None:
    guard.check(["会议定于2023年10月15日14:30举行，预算1234.56元。"], Vault())


def test_the_guard_finds_a_hidden_value_written_against_cjk_text(guard: EgressGuard) -> None:
    """A value the vault holds, sent again between CJK characters ("我叫王小明。", "告诉Tim，")
    is a leak: the guard's word boundary must not count a CJK letter as part of the word."""
    vault = Vault()
    vault.placeholder_for("PERSON", "王小明")
    vault.placeholder_for("PERSON", "Tim")
    for outbound in ("我叫王小明。", "发封英语邮件告诉Tim，附件是备份"):
        with pytest.raises(PrivacyBlocked):
            guard.check([outbound], vault)
    guard.check(["Timothy 和 Timber 都不是他"], vault)  # a Latin letter still joins a word


def test_the_pipeline_replaces_a_hidden_term_written_against_cjk_text() -> None:
    from privsplit.edge.pipeline.hide import Hidden, apply_hidden

    vault = Vault()
    text, count = apply_hidden(
        "告诉Tim，麻烦帮我选出C航安、在清华大学读书, not Timothy",
        [Hidden("Tim", "NAME"), Hidden("航安", "NAME"), Hidden("清华大学", "ORGANIZATION")],
        vault,
    )
    assert count == 3
    assert "Tim，" not in text and "航安" not in text and "清华大学" not in text
    assert "Timothy" in text
