"""Student rows built from a StudentRecord, and the checks a submission passes before any write."""

from __future__ import annotations

from collections import Counter

from store.errors import DuplicateStudentPhone
from store.models import CHOICE_QUESTIONS, OTHER_OPTION, Employment, Offer, Posting, Student, StudentChoice
from store.records import OFFER_STATUSES, ChoiceAnswer, PairingSubmission, StudentRecord


def check_submission(submission: PairingSubmission) -> None:
    """Reject a submission that the tables cannot store as given.

    Raises DuplicateStudentPhone when two students share a phone, and ValueError when there is no
    student, a choice answer repeats an option or has 其他 text without the 其他 option, or an offer
    has an unknown status.
    """
    if not submission.students:
        raise ValueError(
            f"submission {submission.submission_key!r} has no students; at least one is required"
        )
    counts = Counter(student.phone for student in submission.students)
    repeated = {phone for phone, count in counts.items() if count > 1}
    if repeated:
        raise DuplicateStudentPhone(repeated)
    for number, student in enumerate(submission.students, start=1):
        _check_student(student, number)


def _check_student(student: StudentRecord, number: int) -> None:
    for question in CHOICE_QUESTIONS:
        answer: ChoiceAnswer | None = getattr(student, question)
        if answer is None:
            continue
        if len(set(answer.options)) != len(answer.options):
            raise ValueError(f"student {number}: {question} lists an option more than once")
        if answer.other and OTHER_OPTION not in answer.options:
            raise ValueError(
                f"student {number}: {question} has 其他 text but the 其他 option is not selected"
            )
    for order, offer in enumerate(student.offers, start=1):
        if offer.status not in OFFER_STATUSES:
            raise ValueError(
                f"student {number}: offer {order} has status {offer.status!r}; expected one of "
                f"{', '.join(OFFER_STATUSES)}"
            )


def _choice_rows(student: StudentRecord) -> list[StudentChoice]:
    rows: list[StudentChoice] = []
    for question in CHOICE_QUESTIONS:
        answer: ChoiceAnswer | None = getattr(student, question)
        if answer is None:
            continue
        for order, option in enumerate(answer.options, start=1):
            other_text = answer.other if option == OTHER_OPTION else None
            rows.append(
                StudentChoice(question=question, option=option, option_order=order, other_text=other_text)
            )
    return rows


def build_student(record: StudentRecord) -> Student:
    """Build a new student row with its choice, posting, offer and employment rows attached."""
    employment = None
    if record.final_employment is not None:
        final = record.final_employment
        employment = Employment(employer=final.employer, position=final.position, start_date=final.start_date)
    return Student(
        name=record.name,
        gender=record.gender,
        phone=record.phone,
        department=record.department,
        major=record.major,
        degree_level=record.degree_level,
        graduation_year=record.graduation_year,
        policy_guaranteed=record.policy_guaranteed,
        job_seeking=record.job_seeking,
        intended_industry=record.intended_industry,
        intended_position=record.intended_position,
        intended_region=record.intended_region,
        branch_recommended=record.branch_recommended,
        branch_name=record.branch_name,
        branch_secretary_name=record.branch_secretary_name,
        branch_secretary_phone=record.branch_secretary_phone,
        postings_recommended=record.postings_recommended,
        has_offer=record.has_offer,
        choices=_choice_rows(record),
        postings=[
            Posting(position_order=order, employer=p.employer, position=p.position, location=p.location)
            for order, p in enumerate(record.postings, start=1)
        ],
        offers=[
            Offer(
                position_order=order,
                company=o.company,
                position=o.position,
                branch_recommended=o.branch_recommended,
                status=o.status,
                status_other=o.status_other,
            )
            for order, o in enumerate(record.offers, start=1)
        ],
        employment=employment,
    )
