"""Checking one workbook row with the chat's rules and turning it into an import record.

The rules are those of the pairing dialog: every cell is parsed by its field's type, a field applies
only when its condition holds on the row's earlier answers, defaults fill empty cells, blocking
answers (a 学生 cadre, a student who is not policy-guaranteed or not seeking work) reject the row, and
the posting and offer counts must fit their groups. Conditions that follow an invalid answer are not
checked, because that answer decides them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.import_columns import CONDITIONS, Column
from bot.submission import student_record
from dialogs.pairing import STUDENTS
from dialogs.parsing import Invalid, NeedsOther, ParseContext
from dialogs.spec import Answers, Field, Group, Node, Page, is_visible
from store.repo_imports import ImportRecord

REQUIRED = "必填，不能为空。"
NOT_APPLICABLE = "这一列不应填写：{condition}。"
NEEDS_OTHER = "选了「其他」，请在后面写明具体内容，例如：其他：{example}。"
TOO_FEW = "至少需要{min}{counter}{label}，本行填了{count}{counter}。"
STUDENT_IS_CADRE = "学生手机号与团干部电话相同，请填写学生本人的手机号。"

PARSE_CACHE_SIZE = 100_000
"""Parsed cells kept for reuse; the cache is emptied when full."""

# Field checks that need the database run in the store during the import (a taken student phone is
# reported there), so they are skipped here.
_STORE_CHECKS = frozenset({"student_phone_free"})


@dataclass(frozen=True)
class RowProblem:
    """A problem that kept a row out of the import: the Excel row number, the column header, a Chinese reason."""

    row: int
    column: str
    reason: str


@dataclass
class _Scope:
    """The answers of one scope (the cadre, the student, one posting or offer) while its cells are read."""

    answers: Answers = field(default_factory=dict)
    uncertain: bool = False
    """Set after an invalid or missing answer, whose value the later conditions would need."""


class RowValidator:
    """Validates rows against the workbook columns; `context` carries the university list."""

    def __init__(self, columns: tuple[Column, ...], context: ParseContext) -> None:
        for column in columns:
            _check_known(column.field)
        self.context = context
        self._parsed: dict[tuple[int, str], Any] = {}
        self._cadre = [column for column in columns if column.part == "cadre"]
        self._headers = {
            (column.group.key if column.group else "", column.number, column.field.key): column.header
            for column in columns
            if column.part != "cadre"
        }

    def validate(self, row: int, cells: Mapping[str, str]) -> ImportRecord | list[RowProblem]:
        """Return the import record of a row, or every problem found in it."""
        problems: list[RowProblem] = []
        cadre = _Scope()
        for column in self._cadre:
            self._read(row, column.header, column.field, cells, cadre, problems, required=column.required)
        student = _Scope()
        self._read_nodes(row, STUDENTS.nodes, cells, student, problems, cadre.answers.get("cadre_phone"))
        if problems:
            return problems
        return ImportRecord(
            row=row,
            cadre_phone=cadre.answers["cadre_phone"],
            cadre_name=cadre.answers["cadre_name"],
            cadre_title=cadre.answers.get("cadre_title"),
            cadre_identity=_label(cadre.answers.get("cadre_identity")),
            university_code=cadre.answers["university"]["code"],
            student=student_record(student.answers),
        )

    def _read_nodes(
        self,
        row: int,
        nodes: tuple[Node, ...],
        cells: Mapping[str, str],
        scope: _Scope,
        problems: list[RowProblem],
        cadre_phone: str | None,
        group: Group | None = None,
        number: int = 0,
    ) -> None:
        for node in nodes:
            if isinstance(node, Page):
                self._read_nodes(row, node.nodes, cells, scope, problems, cadre_phone, group, number)
            elif isinstance(node, Group):
                self._read_group(row, node, cells, scope, problems, cadre_phone)
            elif isinstance(node, Field):
                header = self._headers[(group.key if group else "", number, node.key)]
                required = not node.optional and node.default is None
                value_read = self._read(row, header, node, cells, scope, problems, required=required)
                if value_read and "not_cadre_phone" in node.checks and scope.answers[node.key] == cadre_phone:
                    problems.append(RowProblem(row, header, STUDENT_IS_CADRE))

    def _read(
        self,
        row: int,
        header: str,
        field_: Field,
        cells: Mapping[str, str],
        scope: _Scope,
        problems: list[RowProblem],
        *,
        required: bool,
    ) -> bool:
        """Read one cell into the scope; return True when a value was parsed and no blocking rule applies."""
        text = cells.get(header, "")
        visible = is_visible(field_, scope.answers)
        if not text:
            if not visible:
                return False
            if field_.default is not None:
                scope.answers[field_.key] = field_.default
            elif not required:
                scope.answers[field_.key] = None
            else:
                if not scope.uncertain:
                    problems.append(RowProblem(row, header, REQUIRED))
                scope.uncertain = True
            return False
        if not visible:
            if not scope.uncertain:
                condition = CONDITIONS.get(field_.key, "本行前面的回答不需要这一项")
                problems.append(RowProblem(row, header, NOT_APPLICABLE.format(condition=condition)))
            return False
        value = self._parse(field_, text)
        if isinstance(value, Invalid | NeedsOther):
            reason = (
                value.message if isinstance(value, Invalid) else NEEDS_OTHER.format(example=_example(field_))
            )
            problems.append(RowProblem(row, header, for_workbook(reason)))
            scope.uncertain = True
            return False
        blocked = [block.message for block in field_.blocks if block.when(value)]
        problems.extend(RowProblem(row, header, message) for message in blocked)
        scope.answers[field_.key] = value
        return not blocked

    def _parse(self, field_: Field, text: str) -> Any:
        """Parse a cell, reusing the result for a text seen before in a column of the same type.

        Field types are pure, and a committee's list repeats the same university, cadre and options on
        many rows. Parsed values are not mutated afterwards, so rows may share them.
        """
        key = (id(field_.type), text)
        if key not in self._parsed:
            if len(self._parsed) >= PARSE_CACHE_SIZE:
                self._parsed.clear()
            self._parsed[key] = field_.type.parse(text, self.context)
        return self._parsed[key]

    def _read_group(
        self,
        row: int,
        group: Group,
        cells: Mapping[str, str],
        scope: _Scope,
        problems: list[RowProblem],
        cadre_phone: str | None,
    ) -> None:
        visible = is_visible(group, scope.answers)
        items: list[Answers] = []
        for number in range(1, group.max_items + 1):
            headers = [
                self._headers[(group.key, number, node.key)]
                for node in group.nodes
                if isinstance(node, Field)
            ]
            filled = [header for header in headers if cells.get(header)]
            if not filled:
                continue
            if not visible:
                if not scope.uncertain:
                    condition = CONDITIONS.get(group.key, "本行前面的回答不需要这一项")
                    problems.append(RowProblem(row, filled[0], NOT_APPLICABLE.format(condition=condition)))
                continue
            item = _Scope()
            self._read_nodes(row, group.nodes, cells, item, problems, cadre_phone, group, number)
            items.append(item.answers)
        if not visible:
            return
        if len(items) < group.min_items and not scope.uncertain:
            first = self._headers[(group.key, 1, _first_field(group).key)]
            message = TOO_FEW.format(
                min=group.min_items, counter=group.counter, label=group.label, count=len(items)
            )
            problems.append(RowProblem(row, first, message))
        if group.arrange is not None:
            group.arrange(items)
        scope.answers[group.key] = items


def _first_field(group: Group) -> Field:
    return next(node for node in group.nodes if isinstance(node, Field))


def _example(field_: Field) -> str:
    return str(getattr(field_.type, "other_example", "") or "具体内容")


def _label(value: Any) -> str | None:
    """Return the label of a single choice, which is a dict when the choice has an 其他 option."""
    if isinstance(value, dict):
        return str(value.get("option", ""))
    return None if value is None else str(value)


def _check_known(field_: Field) -> None:
    """Raise when the dialog declares a check that the import does not run; it would let bad rows in."""
    unknown = set(field_.checks) - _STORE_CHECKS - {"not_cadre_phone"}
    if unknown:
        raise ValueError(
            f"field {field_.key!r} declares checks {sorted(unknown)} that the import does not run"
        )


_CHAT_WORDS = (("请回复", "请填写"), ("请发送", "请填写"), ("重新发送", "重新填写"), ("回复", "填写"), ("发送", "填写"))


def for_workbook(message: str) -> str:
    """Reword a chat rejection for a workbook cell: one fills in a cell rather than replying."""
    for chat_word, cell_word in _CHAT_WORDS:
        message = message.replace(chat_word, cell_word)
    return message
