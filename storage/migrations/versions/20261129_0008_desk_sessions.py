"""web desk sessions; one-time passwords; daily counts of citizens' messages

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(
            sa.Column(
                "password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_desk_sessions_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_sessions")),
        sa.UniqueConstraint("id_sha256", name=op.f("uq_desk_sessions_id_sha256")),
    )
    op.create_index("ix_desk_sessions_staff", "desk_sessions", ["staff_id"], unique=False)
    op.create_table(
        "turn_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("free_text", sa.Integer(), nullable=False),
        sa.Column("not_understood", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizens.id"],
            name=op.f("fk_turn_counts_citizen_id_citizens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "citizen_id", name=op.f("pk_turn_counts")),
    )


def downgrade() -> None:
    op.drop_table("turn_counts")
    op.drop_index("ix_desk_sessions_staff", table_name="desk_sessions")
    op.drop_table("desk_sessions")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("password_must_change")
