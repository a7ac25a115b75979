"""the inbox's hold: a handled update stays held while its replies are sent, and who holds it

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox_updates", sa.Column("leased_by", sa.String(length=64), nullable=True))
    op.create_index("ix_inbox_updates_held", "inbox_updates", ["leased_until"])


def downgrade() -> None:
    op.drop_index("ix_inbox_updates_held", table_name="inbox_updates")
    op.drop_column("inbox_updates", "leased_by")
