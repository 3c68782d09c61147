"""Mapping a completed pairing draft (the dialog's answers) to the records the store writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from store.records import (
    ChoiceAnswer,
    EmploymentRecord,
    OfferRecord,
    PairingSubmission,
    PostingRecord,
    StudentRecord,
)


def _choice(value: Mapping[str, Any] | None) -> ChoiceAnswer:
    if not value:
        return ChoiceAnswer(())
    return ChoiceAnswer(tuple(value.get("options", ())), value.get("other"))


def _single(value: Any) -> tuple[str, str | None]:
    if isinstance(value, Mapping):
        return str(value.get("option", "")), value.get("other")
    return str(value), None


def _offer(answers: Mapping[str, Any]) -> OfferRecord:
    status, status_other = _single(answers["status"])
    return OfferRecord(
        company=answers["company"],
        position=answers["position"],
        branch_recommended=bool(answers["branch_recommended"]),
        status=status,
        status_other=status_other,
    )


def _employment(answers: Mapping[str, Any]) -> EmploymentRecord | None:
    if not answers.get("has_offer") or not answers.get("final_employer"):
        return None
    start = answers.get("final_start_date")
    return EmploymentRecord(
        employer=answers["final_employer"],
        position=answers.get("final_position") or "",
        start_date=dt.date.fromisoformat(start) if start else None,
    )


def student_record(answers: Mapping[str, Any]) -> StudentRecord:
    """Build the record of one student from the answers of its three pages."""
    branch = bool(answers.get("branch_recommended"))
    gender, _ = _single(answers["gender"])
    degree, _ = _single(answers["degree_level"])
    return StudentRecord(
        name=answers["name"],
        gender=gender,
        phone=answers["phone"],
        department=answers["department"],
        major=answers["major"],
        degree_level=degree,
        graduation_year=int(answers["graduation_year"]),
        difficulty_types=_choice(answers.get("difficulty_types")),
        policy_guaranteed=bool(answers["policy_guaranteed"]),
        job_seeking=bool(answers["job_seeking"]),
        intended_industry=answers["intended_industry"],
        intended_position=answers["intended_position"],
        intended_region=answers["intended_region"],
        branch_recommended=branch,
        branch_name=answers.get("branch_name") if branch else None,
        branch_secretary_name=answers.get("branch_secretary_name") if branch else None,
        branch_secretary_phone=answers.get("branch_secretary_phone") if branch else None,
        branch_recommend_forms=_choice(answers.get("branch_recommend_forms")) if branch else None,
        support_measures=_choice(answers.get("support_measures")),
        recommend_channels=_choice(answers.get("recommend_channels")),
        postings_recommended=bool(answers.get("postings_recommended")),
        postings=tuple(
            PostingRecord(posting["employer"], posting["position"], posting["location"])
            for posting in answers.get("postings", [])
        ),
        has_offer=bool(answers.get("has_offer")),
        offers=tuple(_offer(offer) for offer in answers.get("offers", [])),
        final_employment=_employment(answers),
    )


def pairing_submission(
    openid: str, answers: Mapping[str, Any], context: Mapping[str, Any]
) -> PairingSubmission:
    """Build the submission of a completed pairing draft."""
    identity, _ = _single(answers["cadre_identity"])
    return PairingSubmission(
        openid=openid,
        cadre_phone=str(context["phone"]),
        cadre_name=answers["cadre_name"],
        cadre_title=answers["cadre_title"],
        cadre_identity=identity,
        university_code=answers["passcode"]["code"],
        students=tuple(student_record(student) for student in answers.get("students", [])),
        submission_key=str(context["submission_key"]),
    )


def _choice_answer(choice: ChoiceAnswer | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    return {"options": list(choice.options), "other": choice.other}


def _status_answer(offer: OfferRecord) -> dict[str, Any]:
    return {"option": offer.status, "other": offer.status_other}


def student_answers(record: StudentRecord) -> dict[str, Any]:
    """Rebuild the dialog answers of a stored student (the inverse of `student_record`)."""
    answers: dict[str, Any] = {
        "name": record.name,
        "gender": record.gender,
        "phone": record.phone,
        "department": record.department,
        "major": record.major,
        "degree_level": record.degree_level,
        "graduation_year": record.graduation_year,
        "difficulty_types": _choice_answer(record.difficulty_types),
        "policy_guaranteed": record.policy_guaranteed,
        "job_seeking": record.job_seeking,
        "intended_industry": record.intended_industry,
        "intended_position": record.intended_position,
        "intended_region": record.intended_region,
        "branch_recommended": record.branch_recommended,
        "support_measures": _choice_answer(record.support_measures),
        "recommend_channels": _choice_answer(record.recommend_channels),
        "postings_recommended": record.postings_recommended,
        "has_offer": record.has_offer,
    }
    if record.branch_recommended:
        answers.update(
            branch_name=record.branch_name,
            branch_secretary_name=record.branch_secretary_name,
            branch_secretary_phone=record.branch_secretary_phone,
            branch_recommend_forms=_choice_answer(record.branch_recommend_forms),
        )
    if record.postings_recommended:
        answers["postings"] = [
            {"employer": posting.employer, "position": posting.position, "location": posting.location}
            for posting in record.postings
        ]
    if record.has_offer:
        answers["offers"] = [
            {
                "company": offer.company,
                "position": offer.position,
                "branch_recommended": offer.branch_recommended,
                "status": _status_answer(offer),
            }
            for offer in record.offers
        ]
        employment = record.final_employment
        answers["final_employer"] = employment.employer if employment else None
        if employment:
            answers["final_position"] = employment.position
            answers["final_start_date"] = employment.start_date.isoformat() if employment.start_date else None
    return answers
