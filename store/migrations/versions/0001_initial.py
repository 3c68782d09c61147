"""Create the universities, cadres, submissions, students, their answers and the pairings.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False, server_default: bool = True) -> sa.Column[object]:
    default = sa.func.now() if server_default else None
    return sa.Column(name, sa.DateTime(timezone=True), server_default=default, nullable=nullable)


def _flag(name: str, *, server_default: bool = False) -> sa.Column[object]:
    return sa.Column(
        name, sa.Boolean(), server_default=sa.false() if server_default else None, nullable=False
    )


def _student_fk() -> sa.Column[object]:
    return sa.Column("student_id", sa.Integer(), nullable=False)


def _student_fk_constraint(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["student_id"], ["students.id"], name=op.f(f"fk_{table}_student_id_students"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "universities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("authority", sa.String(length=100), nullable=False),
        sa.Column("province", sa.String(length=50), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("remark", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_universities")),
        sa.UniqueConstraint("code", name=op.f("uq_universities_code")),
        sa.UniqueConstraint("name", name=op.f("uq_universities_name")),
    )
    op.create_table(
        "cadres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("identity", sa.Text(), nullable=True),
        _flag("name_locked", server_default=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadres")),
        sa.UniqueConstraint("openid", name=op.f("uq_cadres_openid")),
        sa.UniqueConstraint("phone", name=op.f("uq_cadres_phone")),
    )
    op.create_table(
        "students",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("gender", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("major", sa.Text(), nullable=False),
        sa.Column("degree_level", sa.Text(), nullable=False),
        sa.Column("graduation_year", sa.Integer(), nullable=False),
        _flag("policy_guaranteed"),
        _flag("job_seeking"),
        sa.Column("intended_industry", sa.Text(), nullable=False),
        sa.Column("intended_position", sa.Text(), nullable=False),
        sa.Column("intended_region", sa.Text(), nullable=False),
        _flag("branch_recommended"),
        sa.Column("branch_name", sa.Text(), nullable=True),
        sa.Column("branch_secretary_name", sa.Text(), nullable=True),
        sa.Column("branch_secretary_phone", sa.String(length=20), nullable=True),
        _flag("postings_recommended", server_default=True),
        _flag("has_offer", server_default=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_students")),
        sa.UniqueConstraint("phone", name=op.f("uq_students_phone")),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("university_id", sa.Integer(), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=False),
        _timestamp("submitted_at"),
        sa.Column("cadre_name", sa.Text(), nullable=False),
        sa.Column("cadre_title", sa.Text(), nullable=False),
        sa.Column("cadre_identity", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"], name=op.f("fk_submissions_cadre_id_cadres")),
        sa.ForeignKeyConstraint(
            ["university_id"], ["universities.id"], name=op.f("fk_submissions_university_id_universities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_submissions_submission_key")),
    )
    op.create_index(op.f("ix_submissions_cadre_id"), "submissions", ["cadre_id"])
    op.create_table(
        "student_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        _student_fk(),
        sa.Column("question", sa.String(length=40), nullable=False),
        sa.Column("option", sa.String(length=100), nullable=False),
        sa.Column("option_order", sa.Integer(), nullable=False),
        sa.Column("other_text", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "question IN ('difficulty_types', 'branch_recommend_forms', 'support_measures', "
            "'recommend_channels')",
            name=op.f("ck_student_choices_question"),
        ),
        _student_fk_constraint("student_choices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_choices")),
        sa.UniqueConstraint(
            "student_id", "question", "option", name=op.f("uq_student_choices_student_id_question_option")
        ),
    )
    op.create_table(
        "postings",
        sa.Column("id", sa.Integer(), nullable=False),
        _student_fk(),
        sa.Column("position_order", sa.Integer(), nullable=False),
        sa.Column("employer", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        _student_fk_constraint("postings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
        sa.UniqueConstraint(
            "student_id", "position_order", name=op.f("uq_postings_student_id_position_order")
        ),
    )
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        _student_fk(),
        sa.Column("position_order", sa.Integer(), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        _flag("branch_recommended"),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_other", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('已签约', '已接受未签约', '考虑中', '已拒绝', '其他')", name=op.f("ck_offers_status")
        ),
        _student_fk_constraint("offers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("student_id", "position_order", name=op.f("uq_offers_student_id_position_order")),
    )
    op.create_table(
        "employments",
        sa.Column("id", sa.Integer(), nullable=False),
        _student_fk(),
        sa.Column("employer", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        _student_fk_constraint("employments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employments")),
        sa.UniqueConstraint("student_id", name=op.f("uq_employments_student_id")),
    )
    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        _student_fk(),
        sa.Column("university_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        _timestamp("created_at"),
        _timestamp("deleted_at", nullable=True, server_default=False),
        sa.CheckConstraint("source IN ('chat', 'import', 'committee')", name=op.f("ck_pairings_source")),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"], name=op.f("fk_pairings_cadre_id_cadres")),
        _student_fk_constraint("pairings"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_pairings_submission_id_submissions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["university_id"], ["universities.id"], name=op.f("fk_pairings_university_id_universities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
        sa.UniqueConstraint("student_id", name=op.f("uq_pairings_student_id")),
    )
    op.create_index(op.f("ix_pairings_cadre_id"), "pairings", ["cadre_id"])
    op.create_index(op.f("ix_pairings_university_id"), "pairings", ["university_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pairings_university_id"), table_name="pairings")
    op.drop_index(op.f("ix_pairings_cadre_id"), table_name="pairings")
    op.drop_table("pairings")
    op.drop_table("employments")
    op.drop_table("offers")
    op.drop_table("postings")
    op.drop_table("student_choices")
    op.drop_index(op.f("ix_submissions_cadre_id"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_table("students")
    op.drop_table("cadres")
    op.drop_table("universities")
