"""vacancy offers and their items

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vacancy_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("citizen_status", sa.String(length=16), nullable=False),
        sa.Column("deadline_rule", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("chosen_count", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizens.id"],
            name=op.f("fk_vacancy_offers_citizen_id_citizens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy_offers")),
    )
    with op.batch_alter_table("vacancy_offers", schema=None) as batch_op:
        batch_op.create_index("ix_vacancy_offers_citizen", ["citizen_id", "state"], unique=False)

    op.create_table(
        "vacancy_offer_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("centre_position", sa.Integer(), nullable=False),
        sa.Column("suggested_rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("excluded_by", sa.JSON(), nullable=False),
        sa.Column("citizen_rank", sa.Integer(), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["vacancy_offers.id"],
            name=op.f("fk_vacancy_offer_items_offer_id_vacancy_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"],
            ["vacancies.id"],
            name=op.f("fk_vacancy_offer_items_vacancy_id_vacancies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy_offer_items")),
        sa.UniqueConstraint("offer_id", "vacancy_id", name="uq_vacancy_offer_items_once"),
    )


def downgrade() -> None:
    op.drop_table("vacancy_offer_items")
    with op.batch_alter_table("vacancy_offers", schema=None) as batch_op:
        batch_op.drop_index("ix_vacancy_offers_citizen")
    op.drop_table("vacancy_offers")
