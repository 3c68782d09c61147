"""Field types: accepted and rejected replies, 其他 handling, hints and displays."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from dialogs.fields import (
    OTHER_MAX_LEN,
    Choice,
    Date,
    Integer,
    Mobile,
    MultiChoice,
    PersonName,
    Text,
    Year,
    YesNo,
)
from dialogs.parsing import FieldType, Invalid, NeedsOther, ParseContext

CONTEXT = ParseContext()
HAN = re.compile("[\u4e00-\u9fff]")

OFFER_STATUSES = ("已签约", "已接受未签约", "考虑中", "已拒绝", "其他")
SUPPORT_KINDS = ("线上宣讲", "线下招聘会", "一对一指导", "简历修改", "岗位推送", "其他")


def parse(field: FieldType, text: str) -> Any:
    return field.parse(text, CONTEXT)


def assert_kind_rejection(result: Any) -> None:
    """Check that a rejection is a Chinese message that shows an example."""
    assert isinstance(result, Invalid), result
    assert result.message.strip(), result
    assert HAN.search(result.message), result.message
    assert "例如" in result.message, result.message


# Text


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("华为技术有限公司", "华为技术有限公司"),
        ("  华为   技术\t有限公司 ", "华为 技术 有限公司"),
        ("ＡＢＣ　１２３", "ABC 123"),
        ("软件工程师（Java）", "软件工程师（Java）"),
        ("北京，上海", "北京，上海"),
        ("x", "x"),
        ("字" * 50, "字" * 50),
    ],
)
def test_text_accepts(reply: str, expected: str) -> None:
    assert parse(Text(), reply) == expected


@pytest.mark.parametrize("reply", ["。。。", "...", "？！", "👍👍", "———", "字" * 51])
def test_text_rejects(reply: str) -> None:
    assert_kind_rejection(parse(Text(), reply))


def test_text_length_messages_name_bounds() -> None:
    field = Text(min_len=2, max_len=5, example="销售")

    too_short = parse(field, "销")
    too_long = parse(field, "销售经理助理岗")

    assert isinstance(too_short, Invalid)
    assert "2" in too_short.message
    assert "销售" in too_short.message
    assert isinstance(too_long, Invalid)
    assert "5" in too_long.message
    assert "7" in too_long.message


def test_text_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError):
        Text(min_len=5, max_len=2)


def test_text_hint_shows_limit_and_example() -> None:
    assert Text(max_len=20, example="华为").hint() == "不超过 20 个字，例如：华为"


# PersonName


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("张伟", "张伟"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("张 伟", "张伟"),
        ("张　伟", "张伟"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽‧买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依古丽．买买提", "阿依古丽·买买提"),
        ("𠮷田", "𠮷田"),  # U+20BB7, Extension B, four bytes in UTF-8
        ("王\U0002a6a5", "王\U0002a6a5"),  # Extension C
        ("李\U00030000", "李\U00030000"),  # Extension G
        ("陈\u3400", "陈\u3400"),  # Extension A
        ("金\ufa11", "金\ufa11"),  # compatibility ideograph, kept as typed
        ("张" * 20, "张" * 20),
    ],
)
def test_person_name_accepts(reply: str, expected: str) -> None:
    assert parse(PersonName(), reply) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "王",
        "张3",
        "张３",
        "Zhang Wei",
        "张wei",
        "张伟😀",
        "😀😀",
        "·张伟",
        "张伟·",
        "阿依古丽··买买提",
        "张-伟",
        "张" * 21,
    ],
)
def test_person_name_rejects(reply: str) -> None:
    assert_kind_rejection(parse(PersonName(), reply))


def test_person_name_rejection_names_problem() -> None:
    digits = parse(PersonName(), "张3")
    letters = parse(PersonName(), "zhang")

    assert isinstance(digits, Invalid)
    assert "数字" in digits.message
    assert isinstance(letters, Invalid)
    assert "字母" in letters.message


# Mobile


@pytest.mark.parametrize(
    "reply",
    [
        "13800001111",
        "１３８００００１１１１",
        "138 0000 1111",
        "138-0000-1111",
        "138.0000.1111",
        "(138)00001111",
        "+86 138 0000 1111",
        "+8613800001111",
        "0086-13800001111",
        "8613800001111",
        "＋８６ １３８－００００－１１１１",
    ],
)
def test_mobile_accepts(reply: str) -> None:
    assert parse(Mobile(), reply) == "13800001111"


@pytest.mark.parametrize(
    "reply",
    ["1380000111", "138000011112", "12800001111", "23800001111", "138000O1111", "无", "+1 415 555 0100"],
)
def test_mobile_rejects(reply: str) -> None:
    result = parse(Mobile(), reply)

    assert_kind_rejection(result)
    assert "13800001111" in result.message


# YesNo


@pytest.mark.parametrize(
    "reply",
    ["是", "1", "１", "对", "有", "要", "好", "y", "Y", "yes", "YES", "√", "是的", "对的", "嗯", "是。", "好的！",
     "是的~", "1.", "1. 是"],
)
def test_yes_no_accepts_yes(reply: str) -> None:
    assert parse(YesNo(), reply) is True


@pytest.mark.parametrize(
    "reply",
    ["否", "2", "２", "不对", "不是", "没有", "无", "不要", "不", "n", "N", "no", "No", "×", "没有。", "不是！", "2、"],
)
def test_yes_no_accepts_no(reply: str) -> None:
    assert parse(YesNo(), reply) is False


@pytest.mark.parametrize("reply", ["也许", "3", "是否", "看情况", "yesno"])
def test_yes_no_rejects(reply: str) -> None:
    assert_kind_rejection(parse(YesNo(), reply))


def test_yes_no_hint_and_display() -> None:
    field = YesNo()

    assert field.hint() == "1. 是  2. 否"
    assert field.display(True) == "是"
    assert field.display(False) == "否"


# Choice


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1", "男"),
        ("１", "男"),
        ("1.", "男"),
        ("1、", "男"),
        ("第1个", "男"),
        ("第一个", "男"),
        ("一", "男"),
        ("二", "女"),
        ("①", "男"),
        ("(2)", "女"),
        ("（2）", "女"),
        ("女", "女"),
        ("女。", "女"),
        ("1. 男", "男"),
    ],
)
def test_choice_accepts(reply: str, expected: str) -> None:
    assert parse(Choice(["男", "女"]), reply) == expected


@pytest.mark.parametrize("reply", ["3", "0", "第三个", "人妖", "1 女", "其他：不详"])
def test_choice_rejects(reply: str) -> None:
    assert_kind_rejection(parse(Choice(["男", "女"]), reply))


def test_choice_accepts_unambiguous_part_of_label() -> None:
    assert parse(Choice(OFFER_STATUSES), "拒绝") == "已拒绝"


def test_choice_rejects_ambiguous_part_of_label() -> None:
    result = parse(Choice(OFFER_STATUSES), "签约")

    assert_kind_rejection(result)
    assert "已签约" in result.message
    assert "已接受未签约" in result.message


@pytest.mark.parametrize(
    "reply",
    [
        "5 自主创业",
        "5.自主创业",
        "5、自主创业",
        "５：自主创业",
        "5自主创业",
        "其他：自主创业",
        "其他,自主创业",
        "其他，自主创业",
        "其他 自主创业",
        "其他（自主创业）",
        "其它：自主创业",
        "5 其他：自主创业",
    ],
)
def test_choice_other_inline(reply: str) -> None:
    assert parse(Choice(OFFER_STATUSES, other="其他"), reply) == {"option": "其他", "other": "自主创业"}


@pytest.mark.parametrize("reply", ["5", "其他", "其它", "第五个", "5、", "其他："])
def test_choice_other_without_text_needs_other(reply: str) -> None:
    result = parse(Choice(OFFER_STATUSES, other="其他"), reply)

    assert isinstance(result, NeedsOther)
    assert result.value == {"option": "其他", "other": None}


def test_choice_add_other_completes_value() -> None:
    field = Choice(OFFER_STATUSES, other="其他")
    partial = parse(field, "5")
    assert isinstance(partial, NeedsOther)

    value = field.add_other(partial.value, "  自主创业。 ")

    assert value == {"option": "其他", "other": "自主创业。"}
    assert field.display(value) == "其他（自主创业。）"


@pytest.mark.parametrize("text", ["  ", "。。", "👍"])
def test_choice_add_other_rejects_empty_text(text: str) -> None:
    field = Choice(OFFER_STATUSES, other="其他", other_example="自主创业")

    result = field.add_other({"option": "其他", "other": None}, text)

    assert_kind_rejection(result)
    assert "自主创业" in result.message


def test_choice_other_text_too_long() -> None:
    field = Choice(OFFER_STATUSES, other="其他", other_example="自主创业")

    inline = parse(field, "5 " + "字" * (OTHER_MAX_LEN + 1))
    added = field.add_other({"option": "其他", "other": None}, "字" * (OTHER_MAX_LEN + 1))

    assert_kind_rejection(inline)
    assert_kind_rejection(added)
    assert field.add_other({"option": "其他", "other": None}, "字" * OTHER_MAX_LEN) == {
        "option": "其他",
        "other": "字" * OTHER_MAX_LEN,
    }


def test_choice_with_other_plain_option() -> None:
    field = Choice(OFFER_STATUSES, other="其他")

    assert parse(field, "1") == {"option": "已签约", "other": None}
    assert field.display({"option": "已签约", "other": None}) == "已签约"


def test_choice_rejects_text_after_plain_option() -> None:
    assert_kind_rejection(parse(Choice(OFFER_STATUSES, other="其他"), "1 自主创业"))


def test_choice_hint_lists_numbered_options() -> None:
    assert Choice(["男", "女"]).hint() == "1. 男  2. 女"
    long_hint = Choice(OFFER_STATUSES, other="其他").hint()
    assert long_hint.splitlines()[:5] == ["1. 已签约", "2. 已接受未签约", "3. 考虑中", "4. 已拒绝", "5. 其他"]
    assert "5 " in long_hint.splitlines()[5]


def test_choice_rejects_bad_declarations() -> None:
    with pytest.raises(ValueError):
        Choice([])
    with pytest.raises(ValueError):
        Choice(["男", "男"])
    with pytest.raises(ValueError):
        Choice(["男", "女"], other="其他")


def test_choice_long_other_label_named_short() -> None:
    field = Choice(["已签约", "其他（请注明）"], other="其他（请注明）")

    assert parse(field, "其他：自主创业") == {"option": "其他（请注明）", "other": "自主创业"}
    assert parse(field, "其他（请注明）：自主创业") == {"option": "其他（请注明）", "other": "自主创业"}


# MultiChoice


def multi() -> MultiChoice:
    return MultiChoice(SUPPORT_KINDS, other="其他", other_example="校友分享会")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1、3", ["线上宣讲", "一对一指导"]),
        ("1,3", ["线上宣讲", "一对一指导"]),
        ("1，3", ["线上宣讲", "一对一指导"]),
        ("１，３", ["线上宣讲", "一对一指导"]),
        ("1；3", ["线上宣讲", "一对一指导"]),
        ("1;3", ["线上宣讲", "一对一指导"]),
        ("1/3", ["线上宣讲", "一对一指导"]),
        ("1 3", ["线上宣讲", "一对一指导"]),
        ("1和3", ["线上宣讲", "一对一指导"]),
        ("3、1", ["线上宣讲", "一对一指导"]),
        ("1、3、3、1", ["线上宣讲", "一对一指导"]),
        ("1-3", ["线上宣讲", "线下招聘会", "一对一指导"]),
        ("１－３", ["线上宣讲", "线下招聘会", "一对一指导"]),
        ("2~4", ["线下招聘会", "一对一指导", "简历修改"]),
        ("第一个、第三个", ["线上宣讲", "一对一指导"]),
        ("一、三", ["线上宣讲", "一对一指导"]),
        ("线上宣讲、简历修改", ["线上宣讲", "简历修改"]),
        ("简历修改，1", ["线上宣讲", "简历修改"]),
        ("5", ["岗位推送"]),
    ],
)
def test_multi_choice_accepts(reply: str, expected: list[str]) -> None:
    assert parse(multi(), reply) == {"options": expected, "other": None}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1、3、6其他：讲座", (["线上宣讲", "一对一指导", "其他"], "讲座")),
        ("1、3、其他：讲座", (["线上宣讲", "一对一指导", "其他"], "讲座")),
        ("1,6 线上直播", (["线上宣讲", "其他"], "线上直播")),
        ("1，6：线上直播", (["线上宣讲", "其他"], "线上直播")),
        ("6线上直播", (["其他"], "线上直播")),
        ("6、1、一对一家访", (["线上宣讲", "其他"], "一对一家访")),
        ("2，其他（校友分享会）", (["线下招聘会", "其他"], "校友分享会")),
        ("其它：讲座", (["其他"], "讲座")),
    ],
)
def test_multi_choice_other_inline(reply: str, expected: tuple[list[str], str]) -> None:
    options, other = expected

    assert parse(multi(), reply) == {"options": options, "other": other}


@pytest.mark.parametrize("reply", ["6", "1、6", "其他", "1、3、其他"])
def test_multi_choice_other_without_text_needs_other(reply: str) -> None:
    field = multi()

    result = parse(field, reply)

    assert isinstance(result, NeedsOther)
    assert "其他" in result.value["options"]
    assert result.value["other"] is None
    completed = field.add_other(result.value, "讲座")
    assert completed == {"options": result.value["options"], "other": "讲座"}


def test_multi_choice_other_dropped_when_unselected() -> None:
    field = multi()

    value = parse(field, "1、2")

    assert value == {"options": ["线上宣讲", "线下招聘会"], "other": None}
    assert field.display(value) == "线上宣讲、线下招聘会"
    assert field.display({"options": ["线上宣讲"], "other": "讲座"}) == "线上宣讲"


@pytest.mark.parametrize("reply", ["1、3 讲座", "1、7", "0", "hello", "3-1", "1-9", "宣讲会", "1、3、5等"])
def test_multi_choice_rejects(reply: str) -> None:
    assert_kind_rejection(parse(multi(), reply))


def test_multi_choice_part_of_label() -> None:
    field = MultiChoice(["线上宣讲", "线上招聘", "线下招聘会"])

    assert parse(field, "宣讲、线下") == {"options": ["线上宣讲", "线下招聘会"], "other": None}
    assert_kind_rejection(parse(field, "线上"))


def test_multi_choice_without_other_rejects_extra_text() -> None:
    field = MultiChoice(["线上宣讲", "线下招聘会", "其他"])

    assert_kind_rejection(parse(field, "1、3 讲座"))
    assert parse(field, "1、3") == {"options": ["线上宣讲", "其他"], "other": None}


def test_multi_choice_count_limits() -> None:
    field = MultiChoice(SUPPORT_KINDS, min_count=2, max_count=3)

    too_few = parse(field, "1")
    too_many = parse(field, "1-4")

    assert_kind_rejection(too_few)
    assert "2" in too_few.message
    assert_kind_rejection(too_many)
    assert "3" in too_many.message
    assert parse(field, "1、2、3") == {"options": ["线上宣讲", "线下招聘会", "一对一指导"], "other": None}


def test_multi_choice_display_with_other() -> None:
    value = {"options": ["线上宣讲", "其他"], "other": "讲座"}

    assert multi().display(value) == "线上宣讲、其他（讲座）"


def test_multi_choice_hint() -> None:
    hint = MultiChoice(["男", "女", "其他"], other="其他").hint()
    lines = hint.splitlines()

    assert lines[0] == "1. 男  2. 女  3. 其他"
    assert lines[1] == "可多选，用顿号或逗号隔开，例如 1、3"
    assert "其他" in lines[2]


def test_multi_choice_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        MultiChoice(["男", "女"], min_count=3)
    with pytest.raises(ValueError):
        MultiChoice(["男", "女"], min_count=2, max_count=1)


# Year


@pytest.mark.parametrize(
    "reply", ["2026", "２０２６", "2026年", "2026届", "2026 年", "二〇二六", "二零二六年", "两千零二十六", "26届", "26", "二六届"]
)
def test_year_accepts(reply: str) -> None:
    assert parse(Year(2020, 2030), reply) == 2026


@pytest.mark.parametrize("reply", ["2019", "2031", "19届", "6", "202", "明年", "2026.5"])
def test_year_rejects(reply: str) -> None:
    assert_kind_rejection(parse(Year(2020, 2030), reply))


def test_year_display() -> None:
    assert Year(2020, 2030).display(2026) == "2026年"


# Date


def fixed_today() -> dt.date:
    return dt.date(2026, 5, 20)


@pytest.mark.parametrize(
    "reply",
    [
        "2026-07-01",
        "2026-7-1",
        "2026/7/1",
        "2026.7.1",
        "２０２６－０７－０１",
        "2026年7月1日",
        "2026年07月01日",
        "2026年7月1号",
        "2026 年 7 月 1 日",
        "20260701",
        "7月1日",
        "7月1号",
        "七月一日",
        "二〇二六年七月一日",
        "7/1",
    ],
)
def test_date_accepts(reply: str) -> None:
    assert parse(Date(today=fixed_today), reply) == "2026-07-01"


def test_date_without_year_uses_today() -> None:
    field = Date(today=lambda: dt.date(2027, 1, 3))

    assert parse(field, "7月1日") == "2027-07-01"


@pytest.mark.parametrize("reply", ["2026-02-30", "2026-13-01", "2026年", "明天", "7月", "2026-07", "abc"])
def test_date_rejects(reply: str) -> None:
    assert_kind_rejection(parse(Date(today=fixed_today), reply))


def test_date_bounds() -> None:
    field = Date(dt.date(2026, 1, 1), dt.date(2026, 12, 31), today=fixed_today)

    early = parse(field, "2025-12-31")
    late = parse(field, "2027-01-01")

    assert_kind_rejection(early)
    assert "2026-01-01" in early.message
    assert_kind_rejection(late)
    assert "2026-12-31" in late.message
    assert parse(field, "2026-12-31") == "2026-12-31"


def test_date_hint_uses_today() -> None:
    assert Date(today=fixed_today).hint() == "年-月-日，例如 2026-05-20"


# Integer


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("3", 3), ("３", 3), ("三", 3), ("两", 2), ("十", 10), ("0", 0), ("零", 0), ("3个", 3), ("2人", 2), ("3。", 3)],
)
def test_integer_accepts(reply: str, expected: int) -> None:
    assert parse(Integer(0, 10), reply) == expected


@pytest.mark.parametrize(
    ("reply", "expected"), [("一百二十", 120), ("1,000", 1000), ("-5", -5), ("负五", -5), ("壹佰", 100)]
)
def test_integer_accepts_wide_forms(reply: str, expected: int) -> None:
    assert parse(Integer(), reply) == expected


@pytest.mark.parametrize("reply", ["11", "-1", "十一", "2.5", "abc", "三个半", "1e3"])
def test_integer_rejects(reply: str) -> None:
    result = parse(Integer(0, 10), reply)

    assert_kind_rejection(result)


def test_integer_range_message_names_bounds() -> None:
    result = parse(Integer(1, 10), "11")

    assert isinstance(result, Invalid)
    assert "1 到 10" in result.message


# Every type


ALL_TYPES: list[FieldType] = [
    Text(),
    PersonName(),
    Mobile(),
    YesNo(),
    Choice(OFFER_STATUSES, other="其他"),
    multi(),
    Year(2020, 2030),
    Date(today=fixed_today),
    Integer(0, 10),
]


@pytest.mark.parametrize("field", ALL_TYPES, ids=lambda field: type(field).__name__)
def test_every_type_hint_is_chinese(field: FieldType) -> None:
    hint = field.hint()

    assert hint.strip()
    assert HAN.search(hint) or "1." in hint


@pytest.mark.parametrize(
    ("field", "reply"),
    [
        (Text(), "华为"),
        (PersonName(), "张伟"),
        (Mobile(), "13800001111"),
        (YesNo(), "是"),
        (Choice(OFFER_STATUSES, other="其他"), "5 自主创业"),
        (multi(), "1、6 讲座"),
        (Year(2020, 2030), "2026"),
        (Date(today=fixed_today), "7月1日"),
        (Integer(0, 10), "3"),
    ],
    ids=lambda item: type(item).__name__ if isinstance(item, FieldType) else "",
)
def test_every_value_is_json_serializable(field: FieldType, reply: str) -> None:
    value = parse(field, reply)

    assert not isinstance(value, (Invalid, NeedsOther))
    assert json.loads(json.dumps(value, ensure_ascii=False)) == value
    assert field.display(value)



def test_choice_two_numbers_says_one_option() -> None:
    result = Choice(("专科（高职）", "本科", "硕士研究生")).parse("2、3", ParseContext())
    assert isinstance(result, Invalid)
    assert "只能选一项" in result.message
