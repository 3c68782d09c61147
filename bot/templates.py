"""Template messages: the keyword names of each notification kind and WeChat's value length limit.

The outbox stores each notification's values in order; they are matched to the template's keyword
names here. Since 2023 WeChat shows at most 20 characters per keyword value, without colours, and
ignores `first` and `remark` (WeChat template message rules announced in 2023).
"""

from __future__ import annotations

from collections.abc import Sequence

from store.outbox import (
    CHANGE_REQUEST,
    DAILY_DIGEST,
    OFFER_SIGNED,
    PAIRING_SUBMITTED,
    PASSCODE_FAILED,
    REMINDER,
)

VALUE_MAX_CHARS = 20
"""WeChat's limit on the characters of one template keyword value."""

ELLIPSIS = "…"

DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    PAIRING_SUBMITTED: ("thing1", "thing2", "thing3", "time4"),
    OFFER_SIGNED: ("thing1", "thing2", "thing3", "time4"),
    PASSCODE_FAILED: ("thing1", "phone_number2", "thing3", "time4"),
    CHANGE_REQUEST: ("thing1", "thing2", "thing3", "time4"),
    DAILY_DIGEST: ("time1", "thing2", "thing3"),
    REMINDER: ("thing1", "thing2", "thing3"),
}
"""Keyword names per notification kind, in the order of its values, unless the template setting names others.

- pairing_submitted: university, cadre name, number of students, time.
- offer_signed: student name, company, cadre name, time.
- passcode_failed: text typed, cadre phone, number of misses, time.
- change_request: cadre name and phone, request text, university, time.
- daily_digest: date, number of students, submissions per university.
- reminder: number of students, their names, days without an update.
"""


def shorten(value: str, limit: int = VALUE_MAX_CHARS) -> str:
    """Cut `value` to `limit` characters, ending in … when anything was cut."""
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    return value[: limit - 1] + ELLIPSIS


def template_data(keys: Sequence[str], values: Sequence[str]) -> dict[str, dict[str, str]]:
    """Build the `data` object of a template message; each value is shortened to VALUE_MAX_CHARS.

    Raises ValueError when the numbers of keys and values differ.
    """
    if len(keys) != len(values):
        raise ValueError(f"template has {len(keys)} keywords ({', '.join(keys)}) but {len(values)} values")
    return {key: {"value": shorten(value) or "-"} for key, value in zip(keys, values, strict=True)}
