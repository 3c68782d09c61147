"""Field types for numbers and dates: a year, a calendar date, an integer in a range."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from dialogs.normalize import (
    CHINESE_NUMERAL_CHARS,
    normalize_reply,
    parse_chinese_number,
    parse_number,
    remove_whitespace,
    strip_trailing_punctuation,
)
from dialogs.parsing import FieldType, Invalid, ParseContext, ParseResult


def _compact(text: str) -> str:
    """Return the reply normalized, without whitespace or trailing punctuation."""
    return remove_whitespace(strip_trailing_punctuation(normalize_reply(text)))


def _clamp(value: int, low: int | None, high: int | None) -> int:
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


# 「2026」「2026年」「2026届」「26届」「二〇二六年」.
_YEAR = re.compile(r"^(?P<number>.+?)(?:年|届|年毕业|届毕业)?$")


def _read_year(text: str) -> int | None:
    """Return the year a text names, reading a two-digit year as 20xx, or None."""
    if text.isascii() and text.isdigit():
        number = int(text)
        length = len(text)
    else:
        chinese = parse_chinese_number(text)
        if chinese is None:
            return None
        number = chinese
        length = len(str(chinese))
    if length == 4:
        return number
    if length == 2:
        return 2000 + number
    return None


class Year(FieldType):
    """A year between `min_year` and `max_year`: 2026, 2026年, 2026届, 二〇二六; 26届 reads as 2026."""

    def __init__(self, min_year: int, max_year: int) -> None:
        if min_year > max_year:
            raise ValueError(f"Year needs min_year <= max_year, got {min_year} and {max_year}")
        self.min_year = min_year
        self.max_year = max_year

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        match = _YEAR.match(_compact(text))
        year = _read_year(match.group("number")) if match else None
        if year is None:
            return Invalid(f"请输入四位数的年份，例如 {self._example()}。")
        if not self.min_year <= year <= self.max_year:
            return Invalid(f"年份应在 {self.min_year} 到 {self.max_year} 之间，例如 {self._example()}。")
        return year

    def hint(self) -> str:
        return f"四位数年份，例如 {self._example()}"

    def _example(self) -> int:
        """Return this year, within the allowed range, as the example year."""
        return min(max(dt.date.today().year, self.min_year), self.max_year)

    def display(self, value: Any) -> str:
        return f"{value}年"


_NUMERAL = f"[0-9{CHINESE_NUMERAL_CHARS}]{{1,4}}"
# Dates with a year: 2026-07-01, 2026/7/1, 2026.7.1, 2026年7月1日, 二〇二六年七月一日, 20260701.
_FULL_DATES = (
    re.compile(r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})$"),
    re.compile(f"^(?P<year>{_NUMERAL})年(?P<month>{_NUMERAL})月(?P<day>{_NUMERAL})[日号]?$"),
    re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$"),
)
# Dates without a year, in the current year: 7月1日, 七月一号, 7-1, 7/1.
_SHORT_DATES = (
    re.compile(f"^(?P<month>{_NUMERAL})月(?P<day>{_NUMERAL})[日号]?$"),
    re.compile(r"^(?P<month>\d{1,2})[-/.](?P<day>\d{1,2})$"),
)


class Date(FieldType):
    """A calendar date, optionally between `min_date` and `max_date`; the value is an ISO string.

    A date without a year (7月1日) is in the year of `today()`, which tests may replace.
    """

    def __init__(
        self,
        min_date: dt.date | None = None,
        max_date: dt.date | None = None,
        *,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        if min_date is not None and max_date is not None and min_date > max_date:
            raise ValueError(f"Date needs min_date <= max_date, got {min_date} and {max_date}")
        self.min_date = min_date
        self.max_date = max_date
        self.today = today

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        parts = self._read_parts(_compact(text))
        if parts is None:
            return Invalid(f"没看懂这个日期。请按年月日填写，例如 {self._example()}，也可以写 {self._example_in_words()}。")
        year, month, day = parts
        try:
            date = dt.date(year, month, day)
        except ValueError:
            return Invalid(f"{year}年{month}月{day}日不是有效的日期，请检查月份和日期，例如 {self._example()}。")
        if self.min_date is not None and date < self.min_date:
            return Invalid(f"日期不能早于 {self.min_date.isoformat()}，例如 {self._example()}。")
        if self.max_date is not None and date > self.max_date:
            return Invalid(f"日期不能晚于 {self.max_date.isoformat()}，例如 {self._example()}。")
        return date.isoformat()

    def _read_parts(self, text: str) -> tuple[int, int, int] | None:
        for pattern in _FULL_DATES:
            match = pattern.match(text)
            if match:
                return _read_date_numbers(match.group("year"), match.group("month"), match.group("day"))
        for pattern in _SHORT_DATES:
            match = pattern.match(text)
            if match:
                return _read_date_numbers(str(self.today().year), match.group("month"), match.group("day"))
        return None

    def _example(self) -> str:
        example = self.today()
        if self.min_date is not None and example < self.min_date:
            example = self.min_date
        if self.max_date is not None and example > self.max_date:
            example = self.max_date
        return example.isoformat()

    def _example_in_words(self) -> str:
        example = dt.date.fromisoformat(self._example())
        return f"{example.year}年{example.month}月{example.day}日 或 {example.month}月{example.day}日"

    def hint(self) -> str:
        return f"年-月-日，例如 {self._example()}"

    def display(self, value: Any) -> str:
        return str(value)


def _read_date_numbers(year: str, month: str, day: str) -> tuple[int, int, int] | None:
    numbers = (_read_year(year), parse_number(month), parse_number(day))
    if numbers[0] is None or numbers[1] is None or numbers[2] is None:
        return None
    return numbers[0], numbers[1], numbers[2]


# Measure words that may follow a count: 「3个」「2人」「5次」.
_INTEGER = re.compile(r"^(?P<sign>[-负])?(?P<number>[^-负]+?)(?:个|人|名|位|份|次|家|项|条|岁|天|场)?$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")


class Integer(FieldType):
    """A whole number between `min_value` and `max_value` (either may be None for no bound).

    Accepts ASCII or full-width digits, Chinese numerals (十二, 两百), a minus sign or 负, thousands
    separators (1,000) and a measure word after the number (3个).
    """

    def __init__(self, min_value: int | None = None, max_value: int | None = None) -> None:
        if min_value is not None and max_value is not None and min_value > max_value:
            raise ValueError(f"Integer needs min_value <= max_value, got {min_value} and {max_value}")
        self.min_value = min_value
        self.max_value = max_value

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        number = _read_integer(_compact(text))
        if number is None:
            return Invalid(f"请输入一个整数，例如 {self._example()}。")
        if (self.min_value is not None and number < self.min_value) or (
            self.max_value is not None and number > self.max_value
        ):
            return Invalid(f"请输入{self._range()}，例如 {self._example()}。")
        return number

    def _range(self) -> str:
        if self.min_value is not None and self.max_value is not None:
            return f" {self.min_value} 到 {self.max_value} 之间的整数"
        if self.min_value is not None:
            return f"不小于 {self.min_value} 的整数"
        if self.max_value is not None:
            return f"不大于 {self.max_value} 的整数"
        return "整数"

    def _example(self) -> int:
        return _clamp(1, self.min_value, self.max_value)

    def hint(self) -> str:
        return f"{self._range().strip()}，例如 {self._example()}"


def _read_integer(text: str) -> int | None:
    match = _INTEGER.match(text)
    if not match:
        return None
    digits = match.group("number")
    if _THOUSANDS.match(digits):
        digits = digits.replace(",", "")
    number = parse_number(digits)
    if number is None:
        return None
    return -number if match.group("sign") else number
