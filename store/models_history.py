"""The employment history: one row per changed field of a student's employment data.

A committee report reads this table directly. `old_value` and `new_value` hold JSON text rather than a
JSON column type, so the same rows work on SQLite and PostgreSQL (`new_value::jsonb` reads them there).
`store.history` defines the JSON shape of every field.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, UTCDateTime, utc_now

AUTHOR_KINDS: tuple[str, ...] = ("cadre", "import", "committee")
"""Authors of a change: the paired cadre in this chat, an offline list import, or a committee back office."""

_AUTHOR_CHECK = "author IN (" + ", ".join(f"'{kind}'" for kind in AUTHOR_KINDS) + ")"


class EmploymentHistory(Base):
    """One changed field of a student's job-posting or employment page, with its old and new value.

    `field` is the StudentRecord attribute that changed (for example `offers` or `final_employment`).
    `author_cadre_id` is set when a cadre made the change and is NULL for imports and committees.
    """

    __tablename__ = "employment_history"
    __table_args__ = (
        Index("ix_employment_history_student_id_changed_at", "student_id", "changed_at"),
        CheckConstraint(_AUTHOR_CHECK, name="author"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now, server_default=func.now())
    author: Mapped[str] = mapped_column(String(16))
    author_cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
