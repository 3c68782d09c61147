"""SQLAlchemy models of the pairing data, portable between SQLite and PostgreSQL.

Every constraint is named through the metadata's naming convention, so that migrations can refer to
them on both backends. Choice answers are stored one row per selected option, so that a count per
option is one GROUP BY.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.records import OFFER_STATUSES

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PAIRING_SOURCES: tuple[str, ...] = ("chat", "import", "committee")
"""Origins of a pairing: filed in this chat, imported from an offline list, or assigned by a committee."""

CHOICE_QUESTIONS: tuple[str, ...] = (
    "difficulty_types",
    "branch_recommend_forms",
    "support_measures",
    "recommend_channels",
)
"""The multiple-choice fields of StudentRecord, as stored in `student_choices.question`."""

OTHER_OPTION = "其他"
"""The option whose row carries the free text of a choice answer."""


def utc_now() -> dt.datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp that is always stored and returned in UTC.

    SQLite has no timezone type, so naive values read back from it are marked as UTC here. Naive
    values are rejected on write, because their zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no timezone; pass an aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _in_list(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utc_now, onupdate=utc_now, server_default=func.now()
    )


class University(TimestampMixin, Base):
    """One row of the Ministry of Education list; `code` is the 10-digit 学校标识码."""

    __tablename__ = "universities"
    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("name"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(50), default="")
    city: Mapped[str] = mapped_column(String(50), default="")
    level: Mapped[str] = mapped_column(String(20), default="")
    remark: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(50), default="")


class Cadre(TimestampMixin, Base):
    """A Youth League cadre, identified by phone; `openid` is set while a WeChat user is bound to it."""

    __tablename__ = "cadres"
    __table_args__ = (UniqueConstraint("phone"), UniqueConstraint("openid"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    openid: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    identity: Mapped[str | None] = mapped_column(Text)
    name_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Submission(Base):
    """One 「提交」 of a cadre, with the cadre info as it was at that moment."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("submission_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    university_id: Mapped[int] = mapped_column(ForeignKey("universities.id"))
    submission_key: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now, server_default=func.now())
    cadre_name: Mapped[str] = mapped_column(Text)
    cadre_title: Mapped[str] = mapped_column(Text)
    cadre_identity: Mapped[str] = mapped_column(Text)


class Student(TimestampMixin, Base):
    """A graduate being helped: the basic-info page and the scalar answers of the other two pages."""

    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    gender: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(Text)
    major: Mapped[str] = mapped_column(Text)
    degree_level: Mapped[str] = mapped_column(Text)
    graduation_year: Mapped[int] = mapped_column(Integer)
    policy_guaranteed: Mapped[bool] = mapped_column(Boolean)
    job_seeking: Mapped[bool] = mapped_column(Boolean)
    intended_industry: Mapped[str] = mapped_column(Text)
    intended_position: Mapped[str] = mapped_column(Text)
    intended_region: Mapped[str] = mapped_column(Text)
    branch_recommended: Mapped[bool] = mapped_column(Boolean)
    branch_name: Mapped[str | None] = mapped_column(Text)
    branch_secretary_name: Mapped[str | None] = mapped_column(Text)
    branch_secretary_phone: Mapped[str | None] = mapped_column(String(20))
    postings_recommended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    has_offer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # The answer rows are written together with the student. lazy="raise" makes a missing eager load
    # fail loudly, because an implicit lazy load is an error under asyncio.
    choices: Mapped[list[StudentChoice]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
        order_by="(StudentChoice.question, StudentChoice.option_order)",
    )
    postings: Mapped[list[Posting]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise", order_by="Posting.position_order"
    )
    offers: Mapped[list[Offer]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise", order_by="Offer.position_order"
    )
    employment: Mapped[Employment | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class StudentChoice(Base):
    """One selected option of a multiple-choice answer; `other_text` is set on the 其他 row only."""

    __tablename__ = "student_choices"
    __table_args__ = (
        UniqueConstraint("student_id", "question", "option"),
        CheckConstraint(_in_list("question", CHOICE_QUESTIONS), name="question"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(40))
    option: Mapped[str] = mapped_column(String(100))
    option_order: Mapped[int] = mapped_column(Integer)
    """1-based place of the option in the answer, so the answer reads back in the order given."""
    other_text: Mapped[str | None] = mapped_column(Text)


class Posting(Base):
    """A job posting recommended to a student; `position_order` 1 is the first one listed."""

    __tablename__ = "postings"
    __table_args__ = (UniqueConstraint("student_id", "position_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    position_order: Mapped[int] = mapped_column(Integer)
    employer: Mapped[str] = mapped_column(Text)
    position: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)


class Offer(Base):
    """An offer a student received; `position_order` 1 is offer(1), the signed one when there is one."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("student_id", "position_order"),
        CheckConstraint(_in_list("status", OFFER_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    position_order: Mapped[int] = mapped_column(Integer)
    company: Mapped[str] = mapped_column(Text)
    position: Mapped[str] = mapped_column(Text)
    branch_recommended: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    status_other: Mapped[str | None] = mapped_column(Text)


class Employment(Base):
    """The job a student finally started (最终入职); at most one per student."""

    __tablename__ = "employments"
    __table_args__ = (UniqueConstraint("student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    employer: Mapped[str] = mapped_column(Text)
    position: Mapped[str] = mapped_column(Text)
    start_date: Mapped[dt.date | None] = mapped_column(Date)


class Pairing(Base):
    """A cadre helping a student; a student has at most one pairing, and `deleted_at` marks the recycle bin."""

    __tablename__ = "pairings"
    __table_args__ = (
        UniqueConstraint("student_id"),
        CheckConstraint(_in_list("source", PAIRING_SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    university_id: Mapped[int] = mapped_column(ForeignKey("universities.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now, server_default=func.now())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


# Imported last so that the binding and history models register on Base.metadata, which Alembic compares.
import store.models_binding
import store.models_committees
import store.models_history  # noqa: F401  (imported for its side effect: table registration)
