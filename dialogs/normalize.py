"""Text normalization shared by the field types: width folding, whitespace, punctuation, numerals.

Chat replies arrive from Chinese input methods, so digits, letters, spaces and punctuation may be
full-width (`１３８`, `，`, `（`) and numbers may be written in Chinese (`二〇二六`, `第三个`).
"""

from __future__ import annotations

import re
import unicodedata

import cn2an

# CJK compatibility ideographs. NFKC maps most of them to a unified ideograph, which would change the
# code point of a character that someone's registered name may use, so `normalize_reply` keeps them.
_COMPATIBILITY_IDEOGRAPHS = re.compile("([\uf900-\ufaff\U0002f800-\U0002fa1f]+)")

# Zero-width and other format characters (category Cf) that input methods and copy-paste leave behind.
_FORMAT_CHARACTERS = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")

_CHINESE_PUNCTUATION = re.compile("([，：；？！（）])")

_WHITESPACE_RUN = re.compile(r"\s+")

# Trailing punctuation after a short reply: 「是。」 「1、」 「好的！」 「对~」.
# Closing brackets are kept because names end with them: 中国矿业大学（北京）.
_TRAILING_PUNCTUATION = re.compile(r"[\s.,;:!?~。，、；：！？～…·'\"“”‘’]+$")

# Characters that form Chinese numerals: 二〇二六, 十二, 两百, 壹佰.
CHINESE_NUMERAL_CHARS = "零〇一二三四五六七八九十两百千万壹贰叁肆伍陆柒捌玖拾佰仟"
_CHINESE_NUMERAL = re.compile(f"[{CHINESE_NUMERAL_CHARS}]+")

# Unicode blocks of Han ideographs: the CJK Unified Ideographs and Extensions A to I, and the two
# compatibility blocks.
_HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2EBEF),  # Extensions C, D, E, F
    (0x2EBF0, 0x2EE5F),  # Extension I
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
    (0x30000, 0x323AF),  # Extensions G, H
)


def normalize_reply(text: str) -> str:
    """Apply NFKC to a reply, keeping CJK compatibility ideographs, and drop zero-width characters.

    NFKC turns full-width digits, letters, punctuation and the ideographic space into ASCII
    (`１３８` → `138`, `（` → `(`, `，` → `,`) and circled digits into digits (`①` → `1`).
    """
    text = _FORMAT_CHARACTERS.sub("", text)
    parts = _COMPATIBILITY_IDEOGRAPHS.split(text)
    # re.split with one capturing group puts the kept compatibility runs at the odd indexes.
    return "".join(part if index % 2 else unicodedata.normalize("NFKC", part) for index, part in enumerate(parts))


def normalize_free_text(text: str) -> str:
    """Apply `normalize_reply` but keep the full-width Chinese punctuation ，：；？！（） as typed.

    Free text is shown back to Chinese readers, who expect 「，」 rather than the ASCII 「,」.
    """
    pieces = _CHINESE_PUNCTUATION.split(text)
    # The capturing group puts the kept punctuation at the odd indexes.
    return "".join(piece if index % 2 else normalize_reply(piece) for index, piece in enumerate(pieces))


def collapse_whitespace(text: str) -> str:
    """Strip the text and replace every inner run of whitespace with one ASCII space."""
    return _WHITESPACE_RUN.sub(" ", text).strip()


def remove_whitespace(text: str) -> str:
    """Return the text without any whitespace character."""
    return _WHITESPACE_RUN.sub("", text)


def strip_trailing_punctuation(text: str) -> str:
    """Strip the text and remove the punctuation that ends it (「好的！」 → 「好的」)."""
    return _TRAILING_PUNCTUATION.sub("", text.strip())


def is_punctuation_only(text: str) -> bool:
    """Return True when the text contains no letter, digit or ideograph, only punctuation, symbols or spaces.

    Emoji are symbols (category So), so a reply of emoji alone counts as punctuation only.
    """
    return not any(unicodedata.category(char)[0] in "LN" for char in text)


def is_han(char: str) -> bool:
    """Return True when the single character is a Han ideograph (unified, Extensions A–I, compatibility)."""
    code_point = ord(char)
    return any(low <= code_point <= high for low, high in _HAN_RANGES)


def parse_chinese_number(text: str) -> int | None:
    """Return the integer written in Chinese numerals (十二, 二〇二六, 两百, 壹佰), or None.

    Digit-by-digit forms such as 二六 read as 26. Text with any other character returns None.
    """
    if not _CHINESE_NUMERAL.fullmatch(text):
        return None
    try:
        number = cn2an.cn2an(text, "normal")
    except ValueError:
        return None
    if isinstance(number, float) and not number.is_integer():
        return None
    return int(number)


def parse_number(text: str) -> int | None:
    """Return the non-negative integer written in ASCII digits or Chinese numerals, or None.

    The text must already be normalized (`normalize_reply`), so full-width digits are ASCII here.
    """
    if text.isascii() and text.isdigit():
        return int(text)
    return parse_chinese_number(text)
