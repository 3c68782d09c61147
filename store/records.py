"""Plain records passed between the dialogs and the SQL repositories.

The dialogs build these from a cadre's answers; the repositories write and read them. They carry no
SQLAlchemy state, so they can cross the boundary between an engine session and the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChoiceAnswer:
    """A multiple-choice answer: the chosen option labels, in list order, and the text given for 其他."""

    options: tuple[str, ...]
    other: str | None = None


@dataclass(frozen=True)
class PostingRecord:
    """A job posting recommended to a student (单位名称, 岗位名称, 工作地点)."""

    employer: str
    position: str
    location: str


@dataclass(frozen=True)
class OfferRecord:
    """An offer a student received; `status` is one of OFFER_STATUSES, `status_other` the 其他 text."""

    company: str
    position: str
    branch_recommended: bool
    status: str
    status_other: str | None = None


OFFER_STATUSES: tuple[str, ...] = ("已签约", "已接受未签约", "考虑中", "已拒绝", "其他")
SIGNED_STATUS = "已签约"


@dataclass(frozen=True)
class EmploymentRecord:
    """The employer a student finally joined (最终入职); the start date may be unknown."""

    employer: str
    position: str
    start_date: dt.date | None = None


@dataclass(frozen=True)
class StudentRecord:
    """One student of a pairing: basic info, job-posting recommendation and employment pages."""

    # Page 1: basic info.
    name: str
    gender: str
    phone: str
    department: str
    major: str
    degree_level: str
    graduation_year: int
    difficulty_types: ChoiceAnswer
    policy_guaranteed: bool
    job_seeking: bool
    intended_industry: str
    intended_position: str
    intended_region: str
    branch_recommended: bool
    branch_name: str | None = None
    branch_secretary_name: str | None = None
    branch_secretary_phone: str | None = None
    branch_recommend_forms: ChoiceAnswer | None = None
    # Page 2: job-posting recommendation.
    support_measures: ChoiceAnswer = field(default_factory=lambda: ChoiceAnswer(()))
    recommend_channels: ChoiceAnswer = field(default_factory=lambda: ChoiceAnswer(()))
    postings_recommended: bool = False
    postings: tuple[PostingRecord, ...] = ()
    # Page 3: employment.
    has_offer: bool = False
    offers: tuple[OfferRecord, ...] = ()
    final_employment: EmploymentRecord | None = None


@dataclass(frozen=True)
class PairingSubmission:
    """Everything one 「提交」 writes, in one transaction.

    `submission_key` is unique per draft, so a submission that is sent twice is stored once.
    """

    openid: str
    cadre_phone: str
    cadre_name: str
    cadre_title: str
    cadre_identity: str
    university_code: str
    students: tuple[StudentRecord, ...]
    submission_key: str


@dataclass(frozen=True)
class SubmissionResult:
    """The rows a submission stored; `created` is False when the same submission_key was stored before."""

    submission_id: int
    student_ids: tuple[int, ...]
    created: bool


@dataclass(frozen=True)
class CadreProfile:
    """A cadre as the dialogs see one: the bound phone and the info carried over between submissions."""

    id: int
    phone: str
    openid: str | None
    name: str | None
    title: str | None
    identity: str | None
    name_locked: bool


@dataclass(frozen=True)
class UniversityRecord:
    """One row of the Ministry of Education list; `code` is the 10-digit 学校标识码."""

    code: str
    name: str
    province: str = ""
    city: str = ""
    level: str = ""
    category: str = ""


@dataclass(frozen=True)
class PairingSummary:
    """One line of 「我的结对」: a student paired with the cadre and the state of their employment."""

    student_id: int
    student_name: str
    major: str
    university_name: str
    offer_status: str
    source: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class StudentDetail:
    """A student paired with a cadre, with every answer of the three pages.

    `last_update` is the time of the latest employment history row, or `created_at` when the
    employment data never changed after the student was stored.
    """

    student_id: int
    university_code: str
    university_name: str
    source: str
    record: StudentRecord
    created_at: dt.datetime
    last_update: dt.datetime


@dataclass(frozen=True)
class HistoryRow:
    """One changed field of a student's employment data, with its old and new value decoded from JSON."""

    id: int
    student_id: int
    changed_at: dt.datetime
    author: str
    author_cadre_id: int | None
    field: str
    old_value: Any
    new_value: Any


@dataclass(frozen=True)
class OfferChange:
    """The outcome of `record_offer` for one offer.

    `added` is False when the offer replaced a listed offer of the same company, which `previous`
    then contains. `position` is the offer's 1-based place after the change. `moved_to_first` is True
    when a signed offer was moved to position 1 from elsewhere. `changed_fields` counts the history
    rows written, so 0 means the stored data already matched.
    """

    added: bool
    position: int
    moved_to_first: bool
    previous: OfferRecord | None
    changed_fields: int
