"""The vocabulary of a quick offer update: action keywords, offer statuses, labels and name shapes.

Every pattern here runs on text already passed through `normalize_reply`, so full-width letters,
digits and punctuation are ASCII. The keyword alternations list longer words first, because the
regex engine takes the first alternative that matches (「已签约」 before 「签约」).
"""

from __future__ import annotations

import re
from typing import Literal

from dialogs.normalize import is_han

Action = Literal["offer", "sign", "reject", "join"]

SIGNED = "已签约"
ACCEPTED = "已接受未签约"
CONSIDERING = "考虑中"
REJECTED = "已拒绝"

# Phrases that deny an action (「没拿到offer」, 「还没签约」). They are matched before the action
# keywords so that the 「签约」 inside 「未签约」 does not read as a signature.
NEGATIONS = (
    "没有拿到offer", "没拿到offer", "没收到offer", "没有offer", "还没签约", "没有签约", "尚未签约",
    "没签约", "未签约", "还没入职", "没有入职", "未入职", "还没报到", "未报到",
)

ACTION_WORDS: dict[Action, tuple[str, ...]] = {
    "offer": ("拿到录用通知", "收到录用通知", "录用通知", "拿到录用", "被录用", "录用"),
    "sign": ("已签三方", "签了三方", "签三方", "已签约", "签约了", "签约", "签了"),
    "reject": ("已拒绝", "拒绝了", "拒绝", "婉拒", "拒了", "已放弃", "放弃了", "放弃"),
    "join": ("已入职", "入职了", "入职", "已报到", "报到了", "报到"),
}

# 「offer」 in any case, optionally after a verb (「拿到了 offer」), but not inside a Latin word.
OFFER_WORD = r"(?:(?:拿到|收到|获得|拿了|收了)了?\s*)?(?<![a-z])offer(?![a-z])"

STATUS_WORDS: dict[str, str] = {
    "已接受未签约": ACCEPTED, "接受未签约": ACCEPTED, "已接受": ACCEPTED, "接受了": ACCEPTED,
    "还在考虑": CONSIDERING, "正在考虑": CONSIDERING, "在考虑": CONSIDERING, "考虑中": CONSIDERING,
    "待定": CONSIDERING,
}

# The status an action keyword states by itself. An offer or a job states none.
ACTION_STATUS: dict[Action, str | None] = {"offer": None, "sign": SIGNED, "reject": REJECTED, "join": None}

# 「拿到了腾讯的offer」 and 「被腾讯录用」 name the company inside the action phrase.
OFFER_FROM = re.compile(
    r"(?:拿到|收到|获得|拿了|收了)了?(?P<company>[^\s,;、:]{2,30}?)的\s*(?:offer|录用通知)(?![a-z])",
    re.IGNORECASE,
)
HIRED_BY = re.compile(r"被(?P<company>[^\s,;、:]{2,30}?)录用了?")

Slot = Literal["name", "company", "position", "phone", "date", "status"]

# Labels that name the slot of the next part (「学生：张三」, 「公司 腾讯」, 「岗位后端开发」). They count
# only at the start of a part, because 「公司」 also ends company names.
LABELS: dict[str, Slot] = {
    "帮扶学生": "name", "结对学生": "name", "学生姓名": "name", "学生": "name", "姓名": "name",
    "用人单位": "company", "单位名称": "company", "企业名称": "company", "公司名称": "company",
    "公司": "company", "单位": "company", "企业": "company",
    "岗位名称": "position", "职位": "position", "岗位": "position",
    "学生手机号": "phone", "手机号码": "phone", "手机号": "phone", "手机": "phone", "电话": "phone",
    "日期": "date", "状态": "status",
}
# Only labels of these slots take the next part as their value. Labels of other slots are dropped.
VALUE_LABELS: frozenset[Slot] = frozenset({"name", "company", "position"})

# Question words. A message that contains one is a question, not an update (「拒绝了怎么办」).
QUESTION = re.compile(r"怎么|如何|为什么|什么|能否|可以吗|能不能|[吗呢么]$")

NAME_SUFFIX = "同学"
NAME_DOT = "·"


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _keyword_pattern() -> re.Pattern[str]:
    groups: list[tuple[str, str]] = [
        ("negation", _alternation(NEGATIONS)),
        ("offer_word", OFFER_WORD),
        ("date_label", _alternation(("入职日期", "入职时间"))),
        ("status", _alternation(tuple(STATUS_WORDS))),
    ]
    groups += [(action, _alternation(words)) for action, words in ACTION_WORDS.items()]
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in groups), re.IGNORECASE)


KEYWORDS = _keyword_pattern()
"""Negations, action keywords, status words and date labels. `lastgroup` names the kind that matched.

The groups are `negation`, `offer_word`, `date_label`, `status` and one per action (`offer`, `sign`,
`reject`, `join`). 「入职日期」 is a date label, so its group comes before the join keyword 「入职」.
"""

LABEL_AT_START = re.compile(f"^(?:{_alternation(tuple(LABELS))})", re.IGNORECASE)


def is_name_shaped(text: str) -> bool:
    """Tell whether `text` can be a student's name: 2–4 Han characters, or Han parts joined by 「·」."""
    if NAME_DOT in text:
        parts = text.split(NAME_DOT)
        return len(text) <= 20 and all(part and all(is_han(char) for char in part) for part in parts)
    return 2 <= len(text) <= 4 and all(is_han(char) for char in text)


def clean_name(text: str) -> str:
    """Remove the 「同学」 people add after a name (「张三同学」 → 「张三」)."""
    if text.endswith(NAME_SUFFIX) and len(text) > len(NAME_SUFFIX) + 1:
        return text[: -len(NAME_SUFFIX)]
    return text


# Words that end a company name. A part that ends with one of them is a whole company, and a part with
# one inside (「招商银行客户经理」) is split after it.
COMPANY_SUFFIXES = (
    "公司", "集团", "银行", "医院", "学院", "大学", "中学", "小学", "学校", "事务所", "研究院", "研究所",
    "设计院", "中心", "分行", "支行",
)
COMPANY_ENDINGS = (*COMPANY_SUFFIXES, "局", "厂", "院", "所", "社", "部", "行", "站", "馆", "处", "委", "会", "园")

# Words a job title starts with, used to split 「字节跳动产品经理」 into company and position.
# Industry words that often end company names (软件, 数据, 科技) are not listed.
POSITION_HEADS = (
    "后端", "前端", "全栈", "算法", "测试", "产品经理", "产品", "运营", "销售", "开发", "研发", "工程师",
    "客户经理", "经理", "专员", "助理", "教师", "老师", "会计", "出纳", "文员", "客服", "顾问", "主管",
    "管培生", "管理培训生", "实习生", "技术员", "研究员", "分析师", "设计师", "策划", "行政", "人事",
    "财务", "采购", "运维", "护士", "医生", "律师", "编辑", "公务员", "辅导员", "柜员",
)
_MIN_PART_LEN = 2


def split_company_position(text: str) -> tuple[str, str | None]:
    """Split one part that joins a company and a job title, as speech recognition writes them.

    Returns (company, position), or (text, None) when no boundary is clear: the part ends like a
    company name, starts like a job title, or has neither a company suffix nor a job-title word after
    its first two characters. Both halves keep at least two characters.
    """
    if text.endswith(COMPANY_ENDINGS) or text.startswith(POSITION_HEADS):
        return text, None
    suffix_ends = [text.rfind(suffix) + len(suffix) for suffix in COMPANY_SUFFIXES if text.rfind(suffix) > 0]
    cut = max(suffix_ends, default=-1)
    if cut < _MIN_PART_LEN:
        heads = [text.find(head, _MIN_PART_LEN) for head in POSITION_HEADS]
        cut = min((index for index in heads if index >= _MIN_PART_LEN), default=-1)
    if cut < _MIN_PART_LEN or len(text) - cut < _MIN_PART_LEN:
        return text, None
    return text[:cut], text[cut:]
