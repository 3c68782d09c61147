"""The JSON form of a student's employment data, and the history rows written when it changes.

Each field of the job-posting and employment pages is stored in `employment_history` as JSON text:

- `support_measures`, `recommend_channels`: {"options": [label, ...], "other": text or null}
- `postings_recommended`, `has_offer`: true or false
- `postings`: [{"employer", "position", "location"}, ...] in list order
- `offers`: [{"company", "position", "branch_recommended", "status", "status_other"}, ...], offer 1 first
- `final_employment`: {"employer", "position", "start_date": "YYYY-MM-DD" or null}, or null
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Student
from store.models_history import AUTHOR_KINDS, EmploymentHistory
from store.records import ChoiceAnswer, EmploymentRecord, HistoryRow, StudentRecord

EMPLOYMENT_FIELDS: tuple[str, ...] = (
    "support_measures",
    "recommend_channels",
    "postings_recommended",
    "postings",
    "has_offer",
    "offers",
    "final_employment",
)
"""The StudentRecord attributes of the job-posting and employment pages, in page order."""


def _choice_value(answer: ChoiceAnswer) -> dict[str, Any]:
    return {"options": list(answer.options), "other": answer.other}


def _employment_value(employment: EmploymentRecord | None) -> dict[str, Any] | None:
    if employment is None:
        return None
    start = employment.start_date.isoformat() if employment.start_date else None
    return {"employer": employment.employer, "position": employment.position, "start_date": start}


def employment_values(record: StudentRecord) -> dict[str, Any]:
    """Return the JSON-ready value of each employment field of `record`, keyed by field name."""
    return {
        "support_measures": _choice_value(record.support_measures),
        "recommend_channels": _choice_value(record.recommend_channels),
        "postings_recommended": record.postings_recommended,
        "postings": [
            {"employer": p.employer, "position": p.position, "location": p.location} for p in record.postings
        ],
        "has_offer": record.has_offer,
        "offers": [
            {
                "company": o.company,
                "position": o.position,
                "branch_recommended": o.branch_recommended,
                "status": o.status,
                "status_other": o.status_other,
            }
            for o in record.offers
        ],
        "final_employment": _employment_value(record.final_employment),
    }


def changed_fields(old: StudentRecord, new: StudentRecord) -> list[str]:
    """Return the employment fields whose values differ between `old` and `new`, in page order."""
    before, after = employment_values(old), employment_values(new)
    return [name for name in EMPLOYMENT_FIELDS if before[name] != after[name]]


def check_author(author: str) -> None:
    """Raise ValueError unless `author` is one of AUTHOR_KINDS."""
    if author not in AUTHOR_KINDS:
        raise ValueError(f"author {author!r} is not one of {', '.join(AUTHOR_KINDS)}")


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def add_history(
    session: AsyncSession,
    *,
    student_id: int,
    old: StudentRecord,
    new: StudentRecord,
    fields: list[str],
    author: str,
    author_cadre_id: int | None,
    changed_at: dt.datetime,
) -> None:
    """Add one history row per name in `fields`, with that field's value in `old` and in `new`."""
    check_author(author)
    before, after = employment_values(old), employment_values(new)
    session.add_all(
        EmploymentHistory(
            student_id=student_id,
            changed_at=changed_at,
            author=author,
            author_cadre_id=author_cadre_id,
            field=name,
            old_value=_encode(before[name]),
            new_value=_encode(after[name]),
        )
        for name in fields
    )


def history_row(row: EmploymentHistory) -> HistoryRow:
    """Copy a history row into a plain record with its JSON values decoded."""
    return HistoryRow(
        id=row.id,
        student_id=row.student_id,
        changed_at=row.changed_at,
        author=row.author,
        author_cadre_id=row.author_cadre_id,
        field=row.field,
        old_value=json.loads(row.old_value),
        new_value=json.loads(row.new_value),
    )


def last_update() -> ColumnElement[dt.datetime]:
    """Build the SQL expression of a student's last update: its latest history row, else its creation.

    The expression refers to `Student`, so the statement using it must select from the students table.
    """
    latest = (
        select(func.max(EmploymentHistory.changed_at))
        .where(EmploymentHistory.student_id == Student.id)
        .scalar_subquery()
    )
    return func.coalesce(latest, Student.created_at)

