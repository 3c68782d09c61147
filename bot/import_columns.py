"""The columns of the pairings workbook, built from the pairing dialog's declarations.

One row is one student with its cadre. The cadre columns come from the cadre page (the phone and the
university, which the chat takes from the binding and the passcode, become plain columns). The
student columns are the fields of the three student pages in dialog order. Postings and offers are
flattened into numbered columns (岗位1单位名称 … 岗位10工作地点, offer1企业名称 … offer10状态), as
many as the dialog allows. Each cell is parsed by the same field type as the chat answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from dialogs.fields import Mobile, University
from dialogs.pairing import CADRE_PAGE, STUDENTS
from dialogs.spec import Field, Group, Node, Page

Part = Literal["cadre", "student", "item"]

CADRE_PHONE_HEADER = "团干部电话"
UNIVERSITY_HEADER = "高校全称"
ROW_NUMBER_HEADER = "原行号"
REASON_HEADER = "错误原因"
REPORT_HEADERS = (ROW_NUMBER_HEADER, REASON_HEADER)
"""Columns a report workbook adds; the import ignores them, so a fixed report can be imported again."""

# Student headers that would be ambiguous next to the cadre's columns.
_STUDENT_HEADERS = {"name": "学生姓名", "gender": "学生性别", "phone": "学生手机号"}
# Cadre fields that the chat requires but an offline list may lack; the cadre confirms them later.
_OPTIONAL_CADRE_KEYS = frozenset({"cadre_title", "cadre_identity"})

CONDITIONS: dict[str, str] = {
    "branch_name": "「是否团支部推荐」为「是」时必填，否则留空",
    "branch_secretary_name": "「是否团支部推荐」为「是」时必填，否则留空",
    "branch_secretary_phone": "「是否团支部推荐」为「是」时必填，否则留空",
    "branch_recommend_forms": "「是否团支部推荐」为「是」时必填，否则留空",
    "postings": "「是否推荐不少于2个相符岗位」为「是」时至少填2个岗位，否则留空",
    "offers": "「是否拿到offer」为「是」时至少填1份 offer，否则留空",
    "final_employer": "「是否拿到offer」为「是」时可填，否则留空",
    "final_position": "填写了「最终入职单位」时必填，否则留空",
    "final_start_date": "填写了「最终入职单位」时可填，否则留空",
}
"""When each conditional column applies, in the words of the template's instructions, by field or group key."""


@dataclass(frozen=True)
class Column:
    """One workbook column: its header, the field that parses it, and where the value goes.

    `group` and `number` are set for the numbered columns of postings and offers. `required` is
    True when an empty cell is an error where the field applies (a default fills it otherwise).
    """

    header: str
    field: Field
    part: Part
    required: bool
    group: Group | None = None
    number: int = 0


def _item_header(group: Group, number: int, field: Field) -> str:
    label = field.label.removeprefix(group.label).strip() or field.label
    return f"{group.label}{number}{label}"


def _cadre_columns() -> Iterator[Column]:
    yield Column(CADRE_PHONE_HEADER, Field("cadre_phone", CADRE_PHONE_HEADER, "", Mobile()), "cadre", True)
    for node in CADRE_PAGE.nodes:
        if not isinstance(node, Field):
            continue
        header = node.label if node.label.startswith("团干部") else "团干部" + node.label
        yield Column(header, node, "cadre", node.key not in _OPTIONAL_CADRE_KEYS)
    yield Column(UNIVERSITY_HEADER, Field("university", UNIVERSITY_HEADER, "", University()), "cadre", True)


def _student_columns(nodes: tuple[Node, ...]) -> Iterator[Column]:
    for node in nodes:
        if isinstance(node, Page):
            yield from _student_columns(node.nodes)
        elif isinstance(node, Group):
            for number in range(1, node.max_items + 1):
                for item_field in node.nodes:
                    if isinstance(item_field, Field):
                        header = _item_header(node, number, item_field)
                        yield Column(header, item_field, "item", not item_field.optional, node, number)
        elif isinstance(node, Field):
            header = _STUDENT_HEADERS.get(node.key, node.label)
            yield Column(header, node, "student", not node.optional and node.default is None)


def workbook_columns() -> tuple[Column, ...]:
    """Return every column of the pairings workbook, in order; headers are unique."""
    columns = (*_cadre_columns(), *_student_columns(STUDENTS.nodes))
    headers = [column.header for column in columns]
    duplicates = {header for header in headers if headers.count(header) > 1}
    if duplicates:
        raise ValueError(f"the pairing dialog gives duplicate workbook headers: {sorted(duplicates)}")
    return columns


def describe(column: Column) -> tuple[str, str, str]:
    """Return the instructions of a column: whether it is required, its format, and when it applies."""
    field = column.field
    key = column.group.key if column.group is not None else field.key
    condition = CONDITIONS.get(key, "")
    group = column.group
    if group is not None and column.number > group.min_items:
        need = f"可选（填写第{column.number}{group.counter}{group.label}时，这一{group.counter}的各列都要填）"
    elif condition:
        need = "条件必填" if column.required else "可选"
    elif column.required:
        need = "必填"
    elif field.default is not None:
        need = f"可留空（留空按「{field.type.display(field.default)}」）"
    else:
        need = "可选"
    hint = field.type.hint().replace("\n", "；")
    # Help texts that tell the cadre what to reply only make sense in the chat.
    help_text = field.help if "回复" not in field.help else ""
    return need, hint, "；".join(part for part in (condition, help_text) if part)
