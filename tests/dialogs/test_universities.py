"""University catalogue on the real 2025 list, and the University and Passcode field types."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from dialogs.fields import Passcode, University
from dialogs.parsing import Invalid, ParseContext
from dialogs.universities import UniversityCatalogue, university_key

CSV_PATH = Path(__file__).resolve().parents[2] / "store" / "data" / "universities.csv"
HAN = re.compile("[\u4e00-\u9fff]")

PEKING = {"code": "4111010001", "name": "北京大学"}
MINING_BEIJING = {"code": "4111011413", "name": "中国矿业大学（北京）"}
TAIYUAN_STEEL = "太原钢铁(集团)有限公司职工钢铁学院"


def read_records() -> list[tuple[str, str]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as file:
        return [(row["code"], row["name"]) for row in csv.DictReader(file)]


@pytest.fixture(scope="module")
def catalogue() -> UniversityCatalogue:
    return UniversityCatalogue(read_records())


@pytest.fixture(scope="module")
def context(catalogue: UniversityCatalogue) -> ParseContext:
    return ParseContext(catalogue=catalogue)


def test_catalogue_loads_every_name(catalogue: UniversityCatalogue) -> None:
    assert len(catalogue) == 3167
    assert len(UniversityCatalogue.from_csv(CSV_PATH)) == 3167


def test_catalogue_matches_every_official_name(catalogue: UniversityCatalogue) -> None:
    for code, name in read_records():
        assert catalogue.match(name) == (code, name)


def test_catalogue_rejects_names_sharing_key() -> None:
    with pytest.raises(ValueError):
        UniversityCatalogue([("1", "北京大学"), ("2", "北京大學")])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("北京大学", ("4111010001", "北京大学")),
        ("北京大學", ("4111010001", "北京大学")),
        (" 北京 大学 ", ("4111010001", "北京大学")),
        ("中国矿业大学（北京）", ("4111011413", "中国矿业大学（北京）")),
        ("中国矿业大学(北京)", ("4111011413", "中国矿业大学（北京）")),
        ("中國礦業大學（北京）", ("4111011413", "中国矿业大学（北京）")),
        (TAIYUAN_STEEL, ("4214050164", TAIYUAN_STEEL)),
        ("太原钢铁（集团）有限公司职工钢铁学院", ("4214050164", TAIYUAN_STEEL)),
        ("北京师范大学—香港浸会大学联合国际学院", ("4144016401", "北京师范大学-香港浸会大学联合国际学院")),
    ],
)
def test_catalogue_match(catalogue: UniversityCatalogue, text: str, expected: tuple[str, str]) -> None:
    assert catalogue.match(text) == expected


@pytest.mark.parametrize("text", ["北大", "北京", "福耀科技大学", "北京大学医学部", ""])
def test_catalogue_match_misses(catalogue: UniversityCatalogue, text: str) -> None:
    assert catalogue.match(text) is None


def test_university_key_folds_variants() -> None:
    assert university_key("中國礦業大學 (北京)") == university_key("中国矿业大学（北京）")
    assert university_key("ＡＢＣ") == university_key("abc")


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("矿业大学（北京）", "中国矿业大学（北京）"),
        ("矿业大学(北京)", "中国矿业大学（北京）"),
        ("北京大写", "北京大学"),
        ("北京师范", "北京师范大学"),
        ("福耀科技大学", "福建福耀科技大学"),
        ("清华", "清华大学"),
        ("复旦", "复旦大学"),
        ("北大", "北京大学"),
        ("上海交大", "上海交通大学"),
        ("我是北京大学的", "北京大学"),
        ("北京师范大学香港浸会大学联合国际学院", "北京师范大学-香港浸会大学联合国际学院"),
    ],
)
def test_catalogue_suggests_near_names(catalogue: UniversityCatalogue, text: str, first: str) -> None:
    suggestions = catalogue.suggest(text)

    assert suggestions[0] == first
    assert len(suggestions) <= 3


def test_catalogue_suggest_limit(catalogue: UniversityCatalogue) -> None:
    assert len(catalogue.suggest("北京", limit=5)) == 5
    assert len(catalogue.suggest("北京", limit=1)) == 1


@pytest.mark.parametrize(
    "text", ["asdfgh", "123", "你好", "哈哈哈哈", "随便", "测试", "大学", "学院", "职业技术学院", "abcdefg大学", "好"]
)
def test_catalogue_garbage_gets_no_suggestions(catalogue: UniversityCatalogue, text: str) -> None:
    assert catalogue.suggest(text) == []


# University field


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("北京大学", PEKING),
        ("北京大學", PEKING),
        ("北京大学。", PEKING),
        ("中国矿业大学(北京)", MINING_BEIJING),
        ("中国矿业大学 （北京）", MINING_BEIJING),
        ("太原钢铁（集团）有限公司职工钢铁学院", {"code": "4214050164", "name": TAIYUAN_STEEL}),
    ],
)
def test_university_accepts(context: ParseContext, reply: str, expected: dict[str, str]) -> None:
    assert University().parse(reply, context) == expected


def test_university_miss_suggests(context: ParseContext) -> None:
    result = University().parse("矿业大学（北京）", context)

    assert isinstance(result, Invalid)
    assert "教育部" in result.message
    assert "你是不是要找：中国矿业大学（北京）" in result.message


def test_university_miss_without_suggestions(context: ParseContext) -> None:
    result = University().parse("asdfgh", context)

    assert isinstance(result, Invalid)
    assert "教育部" in result.message
    assert "你是不是要找" not in result.message
    assert "例如" in result.message


def test_university_display(context: ParseContext) -> None:
    assert University().display(PEKING) == "北京大学"


def test_university_needs_catalogue() -> None:
    with pytest.raises(ValueError):
        University().parse("北京大学", ParseContext())


# Passcode field


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("北京大学001", PEKING),
        ("北京大学 001", PEKING),
        ("北京大学-001", PEKING),
        ("北京大学００１", PEKING),
        ("北京大學001", PEKING),
        ("北京大学〇〇一", PEKING),
        ("北京大学001。", PEKING),
        ("中国矿业大学(北京)001", MINING_BEIJING),
        ("中国矿业大学（北京）001", MINING_BEIJING),
        ("太原钢铁（集团）有限公司职工钢铁学院001", {"code": "4214050164", "name": TAIYUAN_STEEL}),
        (TAIYUAN_STEEL + "001", {"code": "4214050164", "name": TAIYUAN_STEEL}),
    ],
)
def test_passcode_accepts(context: ParseContext, reply: str, expected: dict[str, str]) -> None:
    assert Passcode().parse(reply, context) == expected


def test_passcode_missing_suffix_shows_exact_passcode(context: ParseContext) -> None:
    result = Passcode().parse("中国矿业大学(北京)", context)

    assert isinstance(result, Invalid)
    assert "001" in result.message
    assert "中国矿业大学（北京）001" in result.message


def test_passcode_wrong_suffix(context: ParseContext) -> None:
    result = Passcode().parse("北京大学002", context)

    assert isinstance(result, Invalid)
    assert "002" in result.message
    assert "北京大学001" in result.message


@pytest.mark.parametrize(
    ("reply", "passcode"),
    [("北大001", "北京大学001"), ("清华001", "清华大学001"), ("福耀科技大学001", "福建福耀科技大学001")],
)
def test_passcode_abbreviation_suggests_full_name(context: ParseContext, reply: str, passcode: str) -> None:
    result = Passcode().parse(reply, context)

    assert isinstance(result, Invalid)
    assert "全称" in result.message
    assert "简称" in result.message
    assert passcode in result.message


def test_passcode_near_name_explains_and_suggests(context: ParseContext) -> None:
    result = Passcode().parse("北京大写001", context)

    assert isinstance(result, Invalid)
    assert "北京大学001" in result.message
    assert "入库" in result.message
    assert "更名" in result.message
    assert "团委" in result.message


def test_passcode_unknown_name_explains(context: ParseContext) -> None:
    result = Passcode().parse("随便写点什么001", context)

    assert isinstance(result, Invalid)
    assert "全称" in result.message
    assert "例如 北京大学001" in result.message
    assert "入库" in result.message
    assert "更名" in result.message
    assert "管理员" in result.message


def test_passcode_without_name(context: ParseContext) -> None:
    result = Passcode().parse("001", context)

    assert isinstance(result, Invalid)
    assert "北京大学001" in result.message


@pytest.mark.parametrize("reply", ["北京大学", "北京大学002", "北大001", "北京大写001", "随便写点什么001", "001"])
def test_passcode_rejections_are_chinese(context: ParseContext, reply: str) -> None:
    result = Passcode().parse(reply, context)

    assert isinstance(result, Invalid)
    assert HAN.search(result.message)
    assert "001" in result.message


def test_passcode_echo_is_truncated(context: ParseContext) -> None:
    result = Passcode().parse("随" * 60 + "001", context)

    assert isinstance(result, Invalid)
    assert "随" * 21 not in result.message


def test_passcode_hint_and_display(context: ParseContext) -> None:
    field = Passcode()

    assert "北京大学001" in field.hint()
    assert field.display(PEKING) == "北京大学"


def test_abbreviations_suggest_official_name(catalogue: UniversityCatalogue) -> None:
    assert catalogue.suggest("人大")[0] == "中国人民大学"
    assert catalogue.suggest("中科大")[0] == "中国科学技术大学"
    assert catalogue.suggest("哈工大")[0] == "哈尔滨工业大学"
