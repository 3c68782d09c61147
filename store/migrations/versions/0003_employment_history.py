"""Create the employment history table.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "employment_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("author_cadre_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "author IN ('cadre', 'import', 'committee')", name=op.f("ck_employment_history_author")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_employment_history_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_cadre_id"], ["cadres.id"], name=op.f("fk_employment_history_author_cadre_id_cadres")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employment_history")),
    )
    op.create_index(
        "ix_employment_history_student_id_changed_at", "employment_history", ["student_id", "changed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_employment_history_student_id_changed_at", table_name="employment_history")
    op.drop_table("employment_history")
