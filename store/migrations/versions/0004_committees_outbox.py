"""Create committees, their members and invites, the notification outbox and its bookkeeping tables.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "committees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("university_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint("level IN ('central', 'provincial', 'university')", name=op.f("ck_committees_level")),
        sa.CheckConstraint(
            "(level = 'university') = (university_id IS NOT NULL)", name=op.f("ck_committees_university_level")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["committees.id"], name=op.f("fk_committees_parent_id_committees")),
        sa.ForeignKeyConstraint(
            ["university_id"], ["universities.id"], name=op.f("fk_committees_university_id_universities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committees")),
        sa.UniqueConstraint("name", name=op.f("uq_committees_name")),
        sa.UniqueConstraint("university_id", name=op.f("uq_committees_university_id")),
    )
    op.create_table(
        "committee_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("bound_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_committee_members_committee_id_committees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_members")),
        sa.UniqueConstraint("openid", name=op.f("uq_committee_members_openid")),
    )
    op.create_index(op.f("ix_committee_members_committee_id"), "committee_members", ["committee_id"])
    op.create_table(
        "committee_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("used_at", _TIMESTAMP, nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_committee_invites_committee_id_committees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_committee_invites_code_hash")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIMESTAMP, nullable=False),
        sa.Column("lease_until", _TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.String(length=40), nullable=True),
        sa.Column("wechat_msgid", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("sent_at", _TIMESTAMP, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_outbox_status")),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["committees.id"], name=op.f("fk_outbox_committee_id_committees"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("recipient", "dedup_key", name=op.f("uq_outbox_recipient_dedup_key")),
    )
    op.create_index(op.f("ix_outbox_status_next_attempt_at"), "outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_outbox_wechat_msgid"), "outbox", ["wechat_msgid"])
    op.create_table(
        "template_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msgid", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=100), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("received_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_template_deliveries_outbox_id_outbox"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_deliveries")),
        sa.UniqueConstraint("msgid", name=op.f("uq_template_deliveries_msgid")),
    )
    op.create_table(
        "passcode_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("last_text", sa.Text(), nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passcode_misses")),
        sa.UniqueConstraint("openid", name=op.f("uq_passcode_misses_openid")),
    )
    op.create_table(
        "change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"], name=op.f("fk_change_requests_cadre_id_cadres")),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_change_requests_committee_id_committees"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
    )
    op.create_index(op.f("ix_change_requests_cadre_id"), "change_requests", ["cadre_id"])
    op.create_table(
        "cadre_reminders",
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadres.id"], name=op.f("fk_cadre_reminders_cadre_id_cadres"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("cadre_id", name=op.f("pk_cadre_reminders")),
    )


def downgrade() -> None:
    op.drop_table("cadre_reminders")
    op.drop_index(op.f("ix_change_requests_cadre_id"), table_name="change_requests")
    op.drop_table("change_requests")
    op.drop_table("passcode_misses")
    op.drop_table("template_deliveries")
    op.drop_index(op.f("ix_outbox_wechat_msgid"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_status_next_attempt_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("committee_invites")
    op.drop_index(op.f("ix_committee_members_committee_id"), table_name="committee_members")
    op.drop_table("committee_members")
    op.drop_table("committees")
