"""Split a quick offer update into tokens: actions, statuses, phone numbers, dates, labels and free text.

Typed messages separate their parts with spaces or 「，、；：」, but speech recognition often writes
none (「王五入职京东二零二六年七月一日」). So the recognizable parts are cut out of the text first,
in this order: phone numbers (digits or spoken Chinese digits), dates, offer phrases that name the
company (「拿到了腾讯的offer」), then keywords. Only the text left between them is split at
separators into free parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from dialogs.fields_number import Date
from dialogs.normalize import is_punctuation_only
from dialogs.parsing import Invalid, ParseContext
from dialogs.quick_words import (
    HIRED_BY,
    KEYWORDS,
    LABEL_AT_START,
    LABELS,
    OFFER_FROM,
    STATUS_WORDS,
)


class Kind(Enum):
    """The kind of a quick-update token."""

    ACTION = "action"
    STATUS = "status"
    PHONE = "phone"
    DATE = "date"
    LABEL = "label"
    FREE = "free"


@dataclass(frozen=True)
class Token:
    """One part of the message.

    `value` is the action (`offer`, `sign`, `reject`, `join`), the offer status, the 11-digit phone,
    the ISO date ('' for a date that does not exist, such as 2026-02-30), the slot a label names, or
    the free text.
    """

    kind: Kind
    value: str


Piece = Token | str
Finder = Callable[[str], list[tuple[int, int, list[Token]]]]
"""Return the (start, end, tokens) spans found in a piece of text, in order and not overlapping."""

_PHONE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_SPOKEN_DIGITS = "零〇一二三四五六七八九幺两"
_SPOKEN_DIGIT_VALUES = str.maketrans(_SPOKEN_DIGITS, "0012345678912")
_SPOKEN_RUN = re.compile(f"[{_SPOKEN_DIGITS}](?:\\s*[{_SPOKEN_DIGITS}]){{10,}}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_LEN = 11

_CN_DIGIT = "[零〇一二三四五六七八九]"
_MONTH = "(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY = "(?:3[01]|[12]\\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_DATES = (
    re.compile(r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"),
    re.compile(f"(?<!\\d)(?:(?:\\d{{4}}|\\d{{2}}|{_CN_DIGIT}{{4}}|{_CN_DIGIT}{{2}})年)?{_MONTH}月{_DAY}(?:[日号]|(?!\\d))"),
)
# A whole part that is only a date without a year (7/1, 7-1) or eight digits (20260701).
_SHORT_DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}|\d{8}")

_SEPARATORS = re.compile(r"[,;、:。!?]+")
_WECHAT_EMOJI = re.compile(r"\[[^\[\]\s]{1,8}\]")
# Words speech puts around the parts (「张三已经签约了华为」). 「已经」, 「的」, 「了」 and 「是」 are no part
# of a name or a company.
_LEADING_PARTICLES = re.compile(r"^(?:了|是)+")
_TRAILING_PARTICLES = re.compile(r"(?:已经|的|了)+$")
_ACTIONS = ("offer", "sign", "reject", "join")


def tokenize(text: str, *, today: Callable[[], date]) -> list[Token]:
    """Split normalized text (`normalize_reply`, trailing punctuation removed) into tokens in order."""
    pieces: list[Piece] = [_WECHAT_EMOJI.sub(" ", text)]
    date_field = Date(today=today)
    finders: tuple[Finder, ...] = (
        _find_phones,
        _find_spoken_phones,
        lambda piece: _find_dates(piece, date_field),
        _find_offer_phrases,
        _find_keywords,
    )
    for finder in finders:
        pieces = _cut(pieces, finder)
    tokens: list[Token] = []
    for piece in pieces:
        if isinstance(piece, Token):
            tokens.append(piece)
        else:
            tokens.extend(_free_tokens(piece, date_field))
    return tokens


def _cut(pieces: list[Piece], finder: Finder) -> list[Piece]:
    """Replace the spans `finder` finds in the text pieces with their tokens; tokens stay as they are."""
    result: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, Token):
            result.append(piece)
            continue
        position = 0
        for start, end, tokens in finder(piece):
            result.append(piece[position:start])
            result.extend(tokens)
            position = end
        result.append(piece[position:])
    return [piece for piece in result if isinstance(piece, Token) or piece.strip()]


def _find_phones(text: str) -> list[tuple[int, int, list[Token]]]:
    return [(match.start(), match.end(), [Token(Kind.PHONE, "".join(match.groups()))]) for match in _PHONE.finditer(text)]


def _find_spoken_phones(text: str) -> list[tuple[int, int, list[Token]]]:
    """Find mobile numbers read digit by digit (「幺三八 零零零零 一一一一」).

    A run of spoken digits may start with the end of a name (「张三」 then 「一三八…」), so the first
    eleven-digit window that forms a valid mobile number is taken.
    """
    spans: list[tuple[int, int, list[Token]]] = []
    for match in _SPOKEN_RUN.finditer(text):
        positions = [match.start() + offset for offset, char in enumerate(match.group()) if char in _SPOKEN_DIGITS]
        digits = "".join(text[position] for position in positions).translate(_SPOKEN_DIGIT_VALUES)
        for first in range(len(digits) - _MOBILE_LEN + 1):
            number = digits[first : first + _MOBILE_LEN]
            if _MOBILE.fullmatch(number):
                end = positions[first + _MOBILE_LEN - 1] + 1
                spans.append((positions[first], end, [Token(Kind.PHONE, number)]))
                break
    return spans


def _find_dates(text: str, date_field: Date) -> list[tuple[int, int, list[Token]]]:
    spans: list[tuple[int, int, list[Token]]] = []
    for pattern in _DATES:
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end, _ in spans):
                continue
            spans.append((match.start(), match.end(), [_date_token(match.group(), date_field)]))
    return sorted(spans, key=lambda span: span[0])


def _date_token(text: str, date_field: Date) -> Token:
    value = date_field.parse(text, ParseContext())
    return Token(Kind.DATE, "" if isinstance(value, Invalid) else str(value))


def _find_offer_phrases(text: str) -> list[tuple[int, int, list[Token]]]:
    spans: list[tuple[int, int, list[Token]]] = []
    for pattern in (OFFER_FROM, HIRED_BY):
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end, _ in spans):
                continue
            tokens = [Token(Kind.ACTION, "offer"), Token(Kind.FREE, match.group("company"))]
            spans.append((match.start(), match.end(), tokens))
    return sorted(spans, key=lambda span: span[0])


def _find_keywords(text: str) -> list[tuple[int, int, list[Token]]]:
    spans: list[tuple[int, int, list[Token]]] = []
    for match in KEYWORDS.finditer(text):
        group = match.lastgroup
        tokens: list[Token] = []
        if group == "offer_word":
            tokens = [Token(Kind.ACTION, "offer")]
        elif group in _ACTIONS:
            tokens = [Token(Kind.ACTION, group)]
        elif group == "status":
            tokens = [Token(Kind.STATUS, STATUS_WORDS[match.group()])]
        elif group == "date_label":
            tokens = [Token(Kind.LABEL, "date")]
        # A negation (「未签约」) leaves no token, because it states no action and no status.
        spans.append((match.start(), match.end(), tokens))
    return spans


def _free_tokens(text: str, date_field: Date) -> list[Token]:
    """Split leftover text at separators into labels and free parts; Latin words stay together."""
    tokens: list[Token] = []
    for part in _SEPARATORS.split(text):
        for word in _join_latin_words(part.split()):
            tokens.extend(_word_tokens(word, date_field))
    return tokens


def _join_latin_words(words: list[str]) -> list[str]:
    """Join neighbouring ASCII words (「Tencent Holdings」) into one part."""
    joined: list[str] = []
    for word in words:
        if joined and word.isascii() and joined[-1].isascii():
            joined[-1] += " " + word
        else:
            joined.append(word)
    return joined


def _word_tokens(word: str, date_field: Date) -> list[Token]:
    tokens: list[Token] = []
    label = LABEL_AT_START.match(word)
    if label:
        tokens.append(Token(Kind.LABEL, LABELS[label.group()]))
        word = word[label.end() :]
    word = _TRAILING_PARTICLES.sub("", _LEADING_PARTICLES.sub("", word))
    if not word or is_punctuation_only(word):
        return tokens
    if _SHORT_DATE.fullmatch(word):
        token = _date_token(word, date_field)
        if token.value:
            return [*tokens, token]
    return [*tokens, Token(Kind.FREE, word)]
