"""Quick offer updates read from one message: the forms, their variants, and what is not an update."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from dialogs.quick import QuickUpdate, looks_like_quick_update, parse_quick_update
from dialogs.quick_words import split_company_position

TODAY = date(2026, 3, 1)


def today() -> date:
    return TODAY


def update(action: Any, **parts: Any) -> QuickUpdate:
    """Build the expected update; parts not given are None."""
    fields = {field.name: None for field in dataclasses.fields(QuickUpdate)}
    fields.update(parts, action=action)
    return QuickUpdate(**fields)


def parse(text: str) -> QuickUpdate | None:
    return parse_quick_update(text, today=today)


ISSUE_FORMS = [
    (
        "张三 拿到offer 腾讯 后端开发 已签约",
        update("offer", student_name="张三", company="腾讯", position="后端开发", status="已签约"),
    ),
    (
        "offer 13800001111 字节跳动 产品经理 考虑中",
        update("offer", student_phone="13800001111", company="字节跳动", position="产品经理", status="考虑中"),
    ),
    ("李四 签约 华为", update("sign", student_name="李四", company="华为", status="已签约")),
    ("王五 入职 京东 2026-07-01", update("join", student_name="王五", company="京东", start_date="2026-07-01")),
    ("张三 拒绝 腾讯", update("reject", student_name="张三", company="腾讯", status="已拒绝")),
]


@pytest.mark.parametrize(("text", "expected"), ISSUE_FORMS)
def test_issue_forms_parse(text: str, expected: QuickUpdate) -> None:
    assert parse(text) == expected


TENCENT_SIGNED = update("offer", student_name="张三", company="腾讯", position="后端开发", status="已签约")
BYTEDANCE = update("offer", student_phone="13800001111", company="字节跳动", position="产品经理", status="考虑中")
JD_JOB = update("join", student_name="王五", company="京东", start_date="2026-07-01")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三 已签约 拿到offer 腾讯 后端开发", TENCENT_SIGNED),
        ("张三 拿到offer 已签约 腾讯 后端开发", TENCENT_SIGNED),
        ("张三 腾讯 后端开发 已签约 拿到offer", TENCENT_SIGNED),
        ("张三 腾讯 拿到offer 后端开发 已签约", TENCENT_SIGNED),
        ("13800001111 offer 考虑中 字节跳动 产品经理", BYTEDANCE),
        ("考虑中 offer 字节跳动 产品经理 13800001111", BYTEDANCE),
        ("offer 字节跳动 13800001111 产品经理 考虑中", BYTEDANCE),
        ("王五 入职 2026-07-01 京东", JD_JOB),
        ("2026-07-01 王五 入职 京东", JD_JOB),
        ("王五 2026-07-01 京东 入职", JD_JOB),
        ("腾讯 拒绝 张三", update("reject", student_name="腾讯", company="张三", status="已拒绝")),
        (
            "字节跳动 产品经理 offer 13800001111",
            update("offer", student_name="字节跳动", student_phone="13800001111", company="产品经理"),
        ),
    ],
)
def test_parts_in_any_order(text: str, expected: QuickUpdate) -> None:
    """Status, date and phone may stand anywhere, but the name must come before the keyword.

    The last two cases show the limit: a name-shaped first part before the keyword is the name, even
    a company.
    """
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三拿到offer腾讯后端开发已签约", TENCENT_SIGNED),
        ("张三拿到offer，腾讯后端开发，已签约。", TENCENT_SIGNED),
        ("张三拿到了腾讯的offer，后端开发，已签约。", TENCENT_SIGNED),
        ("张三拿到offer腾讯，后端开发，已签约！", TENCENT_SIGNED),
        ("offer13800001111字节跳动产品经理考虑中", BYTEDANCE),
        ("李四签约华为", update("sign", student_name="李四", company="华为", status="已签约")),
        ("李四已经签约了华为。", update("sign", student_name="李四", company="华为", status="已签约")),
        ("张三拒绝了腾讯？", update("reject", student_name="张三", company="腾讯", status="已拒绝")),
        ("王五入职京东2026-07-01", JD_JOB),
        ("学生张三拿到offer腾讯后端开发已签约", TENCENT_SIGNED),
        ("李四被华为录用，测试工程师", update("offer", student_name="李四", company="华为", position="测试工程师")),
        (
            "张三拿到offer华为技术有限公司测试工程师",
            update("offer", student_name="张三", company="华为技术有限公司", position="测试工程师"),
        ),
    ],
)
def test_voice_text_without_spaces(text: str, expected: QuickUpdate) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("offer幺三八零零零零一一一一字节跳动产品经理考虑中", BYTEDANCE),
        ("offer 一三八零零零零一一一一 字节跳动 产品经理 考虑中", BYTEDANCE),
        ("offer 幺三八 零零零零 一一一一 字节跳动 产品经理 考虑中", BYTEDANCE),
        (
            "张三一三八零零零零一一一一签约华为",
            update("sign", student_name="张三", student_phone="13800001111", company="华为", status="已签约"),
        ),
        ("王五入职京东二零二六年七月一日", JD_JOB),
        ("王五入职京东七月一号。", JD_JOB),
        ("王五 入职 京东 七月一日", JD_JOB),
        ("王五 入职 京东 二六年七月一日", JD_JOB),
        (
            "王五 入职 京东 十二月三十一号",
            update("join", student_name="王五", company="京东", start_date="2026-12-31"),
        ),
    ],
)
def test_spoken_numbers(text: str, expected: QuickUpdate) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三　拿到ＯＦＦＥＲ　腾讯　后端开发　已签约", TENCENT_SIGNED),
        ("张三，拿到offer，腾讯，后端开发，已签约", TENCENT_SIGNED),
        ("张三、拿到offer、腾讯、后端开发、已签约", TENCENT_SIGNED),
        ("张三;拿到offer;腾讯;后端开发;已签约", TENCENT_SIGNED),
        ("offer　１３８００００１１１１　字节跳动　产品经理　考虑中", BYTEDANCE),
        ("王五 入职 京东 ２０２６－０７－０１", JD_JOB),
        ("  张三   拿到offer\t腾讯 后端开发 已签约。 ", TENCENT_SIGNED),
    ],
)
def test_full_width_and_separators(text: str, expected: QuickUpdate) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("keyword", "action", "status"),
    [
        ("offer", "offer", None),
        ("Offer", "offer", None),
        ("OFFER", "offer", None),
        ("拿到offer", "offer", None),
        ("拿到 offer", "offer", None),
        ("收到offer", "offer", None),
        ("录用", "offer", None),
        ("拿到录用", "offer", None),
        ("签约", "sign", "已签约"),
        ("已签约", "sign", "已签约"),
        ("签了", "sign", "已签约"),
        ("签三方", "sign", "已签约"),
        ("拒绝", "reject", "已拒绝"),
        ("已拒绝", "reject", "已拒绝"),
        ("拒了", "reject", "已拒绝"),
        ("放弃", "reject", "已拒绝"),
        ("入职", "join", None),
        ("已入职", "join", None),
        ("报到", "join", None),
    ],
)
def test_action_keywords(keyword: str, action: str, status: str | None) -> None:
    assert parse(f"张三 {keyword} 腾讯") == update(action, student_name="张三", company="腾讯", status=status)


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("考虑中", "考虑中"),
        ("在考虑", "考虑中"),
        ("还在考虑", "考虑中"),
        ("待定", "考虑中"),
        ("已接受未签约", "已接受未签约"),
        ("接受了", "已接受未签约"),
        ("已接受", "已接受未签约"),
        ("已签约", "已签约"),
        ("已拒绝", "已拒绝"),
    ],
)
def test_status_words(word: str, status: str) -> None:
    expected = update("offer", student_name="张三", company="腾讯", position="后端开发", status=status)
    assert parse(f"张三 offer 腾讯 后端开发 {word}") == expected


def test_denied_signature_states_no_status() -> None:
    """The 「签约」 inside 「未签约」 is no signature."""
    assert parse("张三 offer 腾讯 未签约") == update("offer", student_name="张三", company="腾讯")


@pytest.mark.parametrize(
    "date_text",
    ["2026-07-01", "2026/7/1", "2026.7.1", "2026年7月1日", "2026年07月01日", "7月1日", "7月1号", "7/1", "20260701"],
)
def test_date_forms(date_text: str) -> None:
    assert parse(f"王五 入职 京东 {date_text}") == JD_JOB


def test_date_without_year_uses_today() -> None:
    result = parse_quick_update("王五 入职 京东 7月1日", today=lambda: date(2027, 5, 20))
    assert result is not None
    assert result.start_date == "2027-07-01"


def test_impossible_date_leaves_date_missing() -> None:
    assert parse("王五 入职 京东 2026-02-30") == update("join", student_name="王五", company="京东")


def test_date_label_is_no_join() -> None:
    expected = update("offer", student_name="王五", company="京东", start_date="2026-07-01")
    assert parse("王五 offer 京东 入职日期2026-07-01") == expected


def test_join_after_signature_is_a_job() -> None:
    expected = update("join", student_name="张三", company="京东", status="已签约", start_date="2026-07-01")
    assert parse("张三签约京东，7月1日入职") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("签约 华为", update("sign", company="华为", status="已签约")),
        ("入职 京东", update("join", company="京东")),
        ("拒绝 腾讯", update("reject", company="腾讯", status="已拒绝")),
        ("offer 腾讯 后端开发", update("offer", company="腾讯", position="后端开发")),
        ("offer 张三 腾讯 后端开发", update("offer", student_name="张三", company="腾讯", position="后端开发")),
        ("学生 李四 签约 华为", update("sign", student_name="李四", company="华为", status="已签约")),
        ("学生：李四，签约，华为", update("sign", student_name="李四", company="华为", status="已签约")),
        ("签约 华为 学生李四", update("sign", student_name="李四", company="华为", status="已签约")),
        ("李四同学 签约 华为", update("sign", student_name="李四", company="华为", status="已签约")),
        ("欧阳娜娜 签约 华为", update("sign", student_name="欧阳娜娜", company="华为", status="已签约")),
        (
            "阿依古丽·买买提 签约 华为",
            update("sign", student_name="阿依古丽·买买提", company="华为", status="已签约"),
        ),
        ("深圳腾讯科技 offer 后端开发", update("offer", company="深圳腾讯科技", position="后端开发")),
    ],
)
def test_name_versus_company(text: str, expected: QuickUpdate) -> None:
    """A company after the keyword is never taken as the name while a company slot is free."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("手机号13800001111 签约 华为", update("sign", student_phone="13800001111", company="华为", status="已签约")),
        ("+86 138 0000 1111 签约 华为", update("sign", student_phone="13800001111", company="华为", status="已签约")),
        ("138-0000-1111 签约 华为", update("sign", student_phone="13800001111", company="华为", status="已签约")),
        (
            "张三 13800001111 offer 腾讯",
            update("offer", student_name="张三", student_phone="13800001111", company="腾讯"),
        ),
    ],
)
def test_phone_forms(text: str, expected: QuickUpdate) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "张三 offer 公司：腾讯 岗位：后端开发",
            update("offer", student_name="张三", company="腾讯", position="后端开发"),
        ),
        (
            "张三 offer 岗位：后端开发 公司：腾讯",
            update("offer", student_name="张三", company="腾讯", position="后端开发"),
        ),
        (
            "张三 offer Tencent Holdings 后端开发",
            update("offer", student_name="张三", company="Tencent Holdings", position="后端开发"),
        ),
        ("李四 offer 腾讯 [微笑]", update("offer", student_name="李四", company="腾讯")),
        ("张三拿到offer了", update("offer", student_name="张三")),
    ],
)
def test_labels_and_extras(text: str, expected: QuickUpdate) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("offer", update("offer")),
        ("OFFER", update("offer")),
        ("签约", update("sign", status="已签约")),
        ("拒绝", update("reject", status="已拒绝")),
        ("入职", update("join")),
        ("张三 offer", update("offer", student_name="张三")),
        ("张三 offer 腾讯", update("offer", student_name="张三", company="腾讯")),
    ],
)
def test_missing_parts_are_none(text: str, expected: QuickUpdate) -> None:
    """A keyword alone is an update with every part missing, so the dialog requests each of them."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "你好",
        "我的结对",
        "提交结对",
        "修改 2",
        "确认",
        "放弃",
        "取消",
        "张三 腾讯 后端开发",
        "张三没拿到offer",
        "张三还没签约",
        "学生拒绝了我们推荐的岗位，怎么办？",
        "offer怎么填",
        "张三签约了吗",
        "张三 签约 腾讯 拒绝",
        "张三 签约 腾讯 考虑中",
        "张三 offer 腾讯 已签约 已拒绝",
        "offer 13800001111 13900002222 腾讯",
        "王五 入职 京东 2026-07-01 2026-08-01",
        "张三 offer 腾讯 后端开发 深圳",
        "张三 offer 腾讯 1380000111",
        "张三 offer " + "腾" * 61,
        "张三 offer 腾讯 " + "开" * 41,
    ],
)
def test_not_an_update(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三 拿到offer 腾讯", True),
        ("offer", True),
        ("张三签约华为", True),
        ("王五入职京东", True),
        ("张三拒绝了腾讯", True),
        ("你好", False),
        ("我的结对", False),
        ("提交结对", False),
        ("放弃", False),
        ("张三还没签约", False),
        ("offerings", False),
    ],
)
def test_looks_like_quick_update(text: str, expected: bool) -> None:
    assert looks_like_quick_update(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("腾讯后端开发", ("腾讯", "后端开发")),
        ("字节跳动产品经理", ("字节跳动", "产品经理")),
        ("华为技术有限公司测试工程师", ("华为技术有限公司", "测试工程师")),
        ("招商银行客户经理", ("招商银行", "客户经理")),
        ("Tencent后端开发", ("Tencent", "后端开发")),
        ("华为技术有限公司", ("华为技术有限公司", None)),
        ("北京销售有限公司", ("北京销售有限公司", None)),
        ("中国市场研究院", ("中国市场研究院", None)),
        ("国家开发银行", ("国家开发银行", None)),
        ("腾讯", ("腾讯", None)),
        ("开发者科技", ("开发者科技", None)),
        ("京东运", ("京东运", None)),
        ("产品经理", ("产品经理", None)),
    ],
)
def test_split_company_position(text: str, expected: tuple[str, str | None]) -> None:
    assert split_company_position(text) == expected


def test_update_round_trips_through_a_dict() -> None:
    """The conversation stores a pending update as a dict while the cadre picks a student."""
    result = parse("张三 拿到offer 腾讯 后端开发 已签约")
    assert result is not None
    assert QuickUpdate(**dataclasses.asdict(result)) == result
