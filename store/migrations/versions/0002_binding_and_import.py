"""Create the SMS verification codes that bind a phone to a WeChat user.

Imported pairings need no schema change: `pairings.source` already allows 'import' and a cadre row may
exist without an OpenID.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_codes")),
    )
    op.create_index(op.f("ix_verification_codes_phone_sent_at"), "verification_codes", ["phone", "sent_at"])
    op.create_index(op.f("ix_verification_codes_openid_sent_at"), "verification_codes", ["openid", "sent_at"])
    op.create_index(op.f("ix_verification_codes_sent_at"), "verification_codes", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_verification_codes_sent_at"), table_name="verification_codes")
    op.drop_index(op.f("ix_verification_codes_openid_sent_at"), table_name="verification_codes")
    op.drop_index(op.f("ix_verification_codes_phone_sent_at"), table_name="verification_codes")
    op.drop_table("verification_codes")
