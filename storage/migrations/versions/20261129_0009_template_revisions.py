"""administrators' template revisions and publications; versions of the data staff own

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 11:08:32
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "template_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_revisions")),
        sa.UniqueConstraint("key", "number", name=op.f("uq_template_revisions_key")),
    )
    op.create_table(
        "template_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["template_revisions.id"],
            name=op.f("fk_template_publications_revision_id_template_revisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_publications")),
    )
    op.create_index(
        "ix_template_publications_key", "template_publications", ["key", "id"], unique=False
    )
    op.create_table(
        "staff_data_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_data_revisions")),
    )
    op.create_index(
        "ix_staff_data_revisions_name", "staff_data_revisions", ["name", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_staff_data_revisions_name", table_name="staff_data_revisions")
    op.drop_table("staff_data_revisions")
    op.drop_index("ix_template_publications_key", table_name="template_publications")
    op.drop_table("template_publications")
    op.drop_table("template_revisions")
