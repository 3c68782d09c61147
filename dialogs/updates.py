"""Dialogs that change a submitted student: the page-by-page update and the one-message offer update.

The update walks the same three pages as the submission. Basic info is locked (shown, never asked);
the job-posting and employment answers are offered with 「不变」. Nothing is saved before the final
「确认」. The quick update asks only what its message left out, then shows one summary to confirm.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.fields import Choice, Date, Text, YesNo
from dialogs.pairing import (
    BASIC_LOCKED,
    BASIC_PAGE,
    EMPLOYMENT_PAGE,
    OFFER_STATUSES,
    OTHER,
    POSTINGS_PAGE,
)
from dialogs.spec import Dialog, Field, Info, Node, Page

BASIC_KEYS: tuple[str, ...] = tuple(node.key for node in BASIC_PAGE.nodes if isinstance(node, Field))

ACTION_OFFER = "拿到offer"
ACTION_SIGN = "签约"
ACTION_REJECT = "拒绝"
ACTION_JOIN = "入职"
ACTIONS = (ACTION_OFFER, ACTION_SIGN, ACTION_REJECT, ACTION_JOIN)
ACTION_OF_KIND = {"offer": ACTION_OFFER, "sign": ACTION_SIGN, "reject": ACTION_REJECT, "join": ACTION_JOIN}
KNOWN_OFFER_KEY = "_known_offer"

SAVE_FOOTER = "回复「确认」保存修改，或回复「修改 N」修改第N项；回复「取消」则不做任何修改。"


def _context_text(key: str) -> Any:
    return lambda answers, context: str(context.get(key, ""))


UPDATE_PAGE = Page(
    "student",
    "更新",
    (
        Info("student_university", "院校", _context_text("university"), BASIC_LOCKED),
        BASIC_PAGE,
        POSTINGS_PAGE,
        EMPLOYMENT_PAGE,
    ),
    confirm=True,
    footer=SAVE_FOOTER,
)

UPDATE = Dialog("update", "更新结对学生信息", (UPDATE_PAGE,))


def _action(answers: Mapping[str, Any]) -> Any:
    return answers.get("action")


def _needs_offer_details(answers: Mapping[str, Any]) -> bool:
    return _action(answers) != ACTION_JOIN and not answers.get(KNOWN_OFFER_KEY)


QUICK_NODES: tuple[Node, ...] = (
    Info("student", "学生", _context_text("student_label"), "如要更新另一名学生，请「取消」后重新发送。"),
    Field("action", "更新内容", "这次要记录什么？", Choice(ACTIONS)),
    Field("company", "企业名称", "请输入企业名称。", Text(2, 60, example="华为技术有限公司")),
    Field("position", "岗位", "请输入岗位名称。", Text(1, 40, example="软件工程师")),
    Field(
        "status",
        "offer 状态",
        "请选择该 offer 的状态。",
        Choice(OFFER_STATUSES, other=OTHER, other_example="等待体检结果"),
        when=lambda answers: _action(answers) == ACTION_OFFER,
    ),
    Field(
        "branch_recommended",
        "是否团支部推荐",
        "该岗位是否由团支部推荐？",
        YesNo(),
        when=_needs_offer_details,
    ),
    Field(
        "start_date",
        "入职日期",
        "请输入入职日期，例如：2026-07-01。",
        Date(),
        optional=True,
        when=lambda answers: _action(answers) == ACTION_JOIN,
    ),
)

QUICK = Dialog(
    "quick",
    "快速更新就业信息",
    (Page("quick", "快速更新", QUICK_NODES, confirm=True, footer=SAVE_FOOTER),),
)

QUICK_FORMS = (
    "可以用一句话记录学生的 offer 或入职，例如：\n"
    "「张三 拿到offer 腾讯 后端开发 已签约」\n"
    "「offer 13800001111 字节跳动 产品经理 考虑中」\n"
    "「李四 签约 华为」\n"
    "「王五 入职 京东 2026-07-01」\n"
    "「张三 拒绝 腾讯」\n"
    "学生可以写姓名或手机号，企业、岗位、状态和日期的顺序不限。"
)
