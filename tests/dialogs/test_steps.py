"""Step keys name a user's position from declared keys only, and never change the session."""

from __future__ import annotations

import copy

from dialogs.pairing import PAIRING
from dialogs.steps import HOME_STEP, step_key
from tests.dialogs.chat import START, Chat, basic_answers

DIALOGS = {PAIRING.key: PAIRING}


async def session_after(lines: list[str]) -> dict:
    chat = Chat()
    await chat.run(lines)
    assert chat.session is not None
    return chat.session


def test_no_session_is_home() -> None:
    assert step_key(None, DIALOGS) == HOME_STEP
    assert step_key({"pages": ["x"]}, DIALOGS) == HOME_STEP


async def test_question_in_group_item() -> None:
    session = await session_after([*START, *basic_answers()[:2]])

    assert step_key(session, DIALOGS) == "pairing/students1/phone"


async def test_page_summary() -> None:
    session = await session_after(START[:-1])

    assert step_key(session, DIALOGS) == "pairing/cadre-summary"


async def test_step_leaves_session_unchanged() -> None:
    session = await session_after(START)
    before = copy.deepcopy(session)

    step_key(session, DIALOGS)

    assert session == before


async def test_edit_focus_and_cancel_confirmation() -> None:
    chat = Chat()
    await chat.run([*START[:-1], "修改 4"])
    assert chat.session is not None
    assert step_key(chat.session, DIALOGS) == "pairing/cadre_title"

    await chat.say("取消")
    assert step_key(chat.session, DIALOGS) == "pairing/confirm-cancel"


def test_state_machine_dialog_step() -> None:
    session = {"dialog": {"dialog": "registration", "step": "code", "phone": "13800001111"}}

    assert step_key(session, DIALOGS) == "registration/code"


def test_unexpected_step_value_not_logged() -> None:
    session = {"dialog": {"dialog": "registration", "step": "13800001111"}}

    assert step_key(session, DIALOGS) == "registration/unknown"
