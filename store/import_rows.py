"""Table rows of imported students as plain dicts, for bulk INSERTs that skip the ORM's unit of work.

The mapping from a StudentRecord is the one that `store.repo_students.build_student` makes with ORM
objects. A test stores the same record both ways and compares the rows.
"""

from __future__ import annotations

from typing import Any

from store.models import CHOICE_QUESTIONS, OTHER_OPTION
from store.records import ChoiceAnswer, StudentRecord

Row = dict[str, Any]

_STUDENT_COLUMNS = (
    "name",
    "gender",
    "phone",
    "department",
    "major",
    "degree_level",
    "graduation_year",
    "policy_guaranteed",
    "job_seeking",
    "intended_industry",
    "intended_position",
    "intended_region",
    "branch_recommended",
    "branch_name",
    "branch_secretary_name",
    "branch_secretary_phone",
    "postings_recommended",
    "has_offer",
)


def student_row(record: StudentRecord) -> Row:
    """Return the `students` row of a record."""
    return {column: getattr(record, column) for column in _STUDENT_COLUMNS}


def child_rows(student_id: int, record: StudentRecord) -> dict[str, list[Row]]:
    """Return the rows of the answer tables of one student, by table name."""
    choices = []
    for question in CHOICE_QUESTIONS:
        answer: ChoiceAnswer | None = getattr(record, question)
        if answer is None:
            continue
        for order, option in enumerate(answer.options, start=1):
            other_text = answer.other if option == OTHER_OPTION else None
            choices.append(
                {
                    "student_id": student_id,
                    "question": question,
                    "option": option,
                    "option_order": order,
                    "other_text": other_text,
                }
            )
    postings = [
        {
            "student_id": student_id,
            "position_order": order,
            "employer": p.employer,
            "position": p.position,
            "location": p.location,
        }
        for order, p in enumerate(record.postings, start=1)
    ]
    offers = [
        {
            "student_id": student_id,
            "position_order": order,
            "company": o.company,
            "position": o.position,
            "branch_recommended": o.branch_recommended,
            "status": o.status,
            "status_other": o.status_other,
        }
        for order, o in enumerate(record.offers, start=1)
    ]
    employments = []
    if record.final_employment is not None:
        final = record.final_employment
        employments.append(
            {
                "student_id": student_id,
                "employer": final.employer,
                "position": final.position,
                "start_date": final.start_date,
            }
        )
    return {"student_choices": choices, "postings": postings, "offers": offers, "employments": employments}
