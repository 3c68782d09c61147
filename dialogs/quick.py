"""Read a quick offer update from one message: 「张三 拿到offer 腾讯 后端开发 已签约」.

The parser is pure and synchronous. It finds the student (a name or a mobile number), the action
(an offer, a signature, a rejection or a job), and the company, position, offer status and start
date in any order. Parts the message leaves out are None, so the caller can ask for them one at a
time. Whether the student exists is for the caller to check.

How the parser separates the parts:

- The action is 入职 when the message has a join keyword, else offer when it has an offer keyword,
  else the first of 签约 and 拒绝. Other keywords only state the status (「拿到offer … 已签约」).
- The student's name is the part after a label (「学生 张三」), else the first free part when it
  comes before the first keyword and has the shape of a name (2–4 Han characters, or parts joined
  by 「·」). Only when there are more free parts than company and position can take, and no mobile
  number, is the first name-shaped part after the keyword taken as the name. So 「签约 华为」 reads
  华为 as the company, not as a name.
- The free parts left, in order, are the company and then the position. One part that joins both,
  as speech recognition writes them (「腾讯后端开发」), is split at a company suffix or a job title.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from dialogs.commands import parse_command
from dialogs.fields_text import Text
from dialogs.normalize import normalize_reply, strip_trailing_punctuation
from dialogs.pairing import OFFERS
from dialogs.quick_tokens import Kind, Token, tokenize
from dialogs.quick_words import (
    ACTION_STATUS,
    KEYWORDS,
    QUESTION,
    VALUE_LABELS,
    Action,
    clean_name,
    is_name_shaped,
    split_company_position,
)
from dialogs.spec import Field

# A free part of this many ASCII digits or more is a mistyped phone number, not a company.
_PHONE_LIKE_DIGITS = 7
_OPEN_SLOTS = ("company", "position")
_ACTIONS: dict[str, Action] = {"offer": "offer", "sign": "sign", "reject": "reject", "join": "join"}


@dataclass(frozen=True)
class QuickUpdate:
    """An offer or job update read from one message; a part the message leaves out is None.

    `status` is one of 已签约, 已接受未签约, 考虑中 and 已拒绝. 签约 and 拒绝 state it by themselves.
    `start_date` is an ISO date (YYYY-MM-DD).
    """

    student_name: str | None
    student_phone: str | None
    action: Action
    company: str | None
    position: str | None
    status: str | None
    start_date: str | None


def looks_like_quick_update(text: str) -> bool:
    """Tell cheaply whether a message has an action keyword; `parse_quick_update` may still return None.

    A command word (「放弃」 is also 「取消」) and a denial (「还没签约」) are not updates.
    """
    if parse_command(text) is not None:
        return False
    return any(_is_action(match.lastgroup) for match in KEYWORDS.finditer(normalize_reply(text)))


def parse_quick_update(text: str, *, today: Callable[[], date] = date.today) -> QuickUpdate | None:
    """Read an offer or job update from one message, or return None when the message is not one.

    The result is None for a message with
    - no action keyword, or only a command word (「放弃」) or a question (「拒绝了怎么办」),
    - two different statuses, phone numbers or dates,
    - more free parts than student, company and position can take,
    - a company or position longer than the offer form allows,
    - a run of seven or more digits that is no valid mobile number.

    A message with only an action keyword (「offer」) returns a QuickUpdate whose other parts are None,
    apart from the status that 签约 and 拒绝 state. A date without a year (7月1日) is in the year of
    `today()`. A date that does not exist (2026-02-30) leaves `start_date` None.
    """
    cleaned = strip_trailing_punctuation(normalize_reply(text))
    if not cleaned or parse_command(cleaned) is not None:
        return None
    tokens = tokenize(cleaned, today=today)
    actions: list[Action] = [_as_action(token.value) for token in tokens if token.kind is Kind.ACTION]
    if not actions:
        return None
    if any(_is_not_an_answer(token) for token in tokens):
        return None

    statuses = {token.value for token in tokens if token.kind is Kind.STATUS}
    statuses |= {status for action in actions if (status := ACTION_STATUS[action])}
    phones = {token.value for token in tokens if token.kind is Kind.PHONE}
    dates = {token.value for token in tokens if token.kind is Kind.DATE and token.value}
    if len(statuses) > 1 or len(phones) > 1 or len(dates) > 1:
        return None

    slots = _fill_slots(tokens, has_phone=bool(phones))
    if slots is None:
        return None
    company, position = slots.get("company"), slots.get("position")
    if company and not position:
        company, position = split_company_position(company)
    if not _fits_offer_form(company, position):
        return None
    return QuickUpdate(
        student_name=slots.get("name"),
        student_phone=next(iter(phones), None),
        action=_main_action(actions),
        company=company,
        position=position,
        status=next(iter(statuses), None),
        start_date=next(iter(dates), None),
    )


def _is_action(group: str | None) -> bool:
    return group == "offer_word" or group in _ACTIONS


def _as_action(value: str) -> Action:
    if value not in _ACTIONS:
        raise ValueError(f"invalid quick-update action {value!r}: expected one of {', '.join(_ACTIONS)}")
    return _ACTIONS[value]


def _main_action(actions: list[Action]) -> Action:
    """Pick the action: a job over an offer, an offer over the first signature or rejection."""
    if "join" in actions:
        return "join"
    if "offer" in actions:
        return "offer"
    return actions[0]


def _is_not_an_answer(token: Token) -> bool:
    """Tell whether a free part makes the message a question or contains a mistyped phone number."""
    if token.kind is not Kind.FREE:
        return False
    if QUESTION.search(token.value):
        return True
    return token.value.isascii() and token.value.isdigit() and len(token.value) >= _PHONE_LIKE_DIGITS


def _fill_slots(tokens: list[Token], *, has_phone: bool) -> dict[str, str] | None:
    """Assign the free parts to name, company and position. Return None when parts are left over."""
    slots, labelled = _labelled_slots(tokens)
    free = [index for index, token in enumerate(tokens) if token.kind is Kind.FREE and index not in labelled]
    first_action = next(index for index, token in enumerate(tokens) if token.kind is Kind.ACTION)
    # NOTE: names are not checked against a list, so a name-shaped company before the keyword
    # (「腾讯 拒绝 张三」) is read as the name.
    if "name" not in slots and free and free[0] < first_action:
        name = clean_name(tokens[free[0]].value)
        if is_name_shaped(name):
            slots["name"] = name
            free.pop(0)

    rest = [tokens[index].value for index in free]
    open_slots = [slot for slot in _OPEN_SLOTS if slot not in slots]
    if len(rest) > len(open_slots) and "name" not in slots and not has_phone:
        for position, value in enumerate(rest):
            if is_name_shaped(clean_name(value)):
                slots["name"] = clean_name(rest.pop(position))
                break
    if len(rest) > len(open_slots):
        return None
    slots.update(zip(open_slots, rest))
    return slots


def _labelled_slots(tokens: list[Token]) -> tuple[dict[str, str], set[int]]:
    """Fill the slots that a label names (「公司：腾讯」) and return them with the indexes of the parts used."""
    slots: dict[str, str] = {}
    labelled: set[int] = set()
    for index, token in enumerate(tokens[:-1]):
        following = tokens[index + 1]
        if token.kind is not Kind.LABEL or token.value not in VALUE_LABELS or following.kind is not Kind.FREE:
            continue
        if token.value in slots:
            continue
        value = clean_name(following.value) if token.value == "name" else following.value
        if token.value == "name" and not is_name_shaped(value):
            continue
        slots[token.value] = value
        labelled.add(index + 1)
    return slots, labelled


def _text_max_len(key: str) -> int:
    """Return the maximum length the offer form allows for the text field `key`."""
    for node in OFFERS.nodes:
        if isinstance(node, Field) and node.key == key and isinstance(node.type, Text):
            return node.type.max_len
    raise LookupError(f"the offer form has no text field {key!r}")


def _fits_offer_form(company: str | None, position: str | None) -> bool:
    if company is not None and len(company) > _text_max_len("company"):
        return False
    return position is None or len(position) <= _text_max_len("position")
