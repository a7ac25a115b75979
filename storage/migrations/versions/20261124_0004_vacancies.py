"""vacancies, job profiles, vacancy requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 01:56:20.595747
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vacancy_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy_imports")),
    )
    op.create_table(
        "job_profiles",
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("profession", sa.String(length=256), nullable=True),
        sa.Column("locality", sa.String(length=256), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("desired_salary", sa.Integer(), nullable=True),
        sa.Column("previous_salary", sa.Integer(), nullable=True),
        sa.Column("experience_years", sa.Integer(), nullable=True),
        sa.Column("schedule", sa.String(length=128), nullable=True),
        sa.Column("employment", sa.String(length=128), nullable=True),
        sa.Column("relocate", sa.Boolean(), nullable=False),
        sa.Column("disability_group", sa.Integer(), nullable=True),
        sa.Column("ipra_restrictions", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizens.id"],
            name=op.f("fk_job_profiles_citizen_id_citizens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("citizen_id", name=op.f("pk_job_profiles")),
    )
    op.create_table(
        "vacancies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("region_name", sa.String(length=256), nullable=True),
        sa.Column("company_name", sa.String(length=512), nullable=False),
        sa.Column("company_code", sa.String(length=64), nullable=True),
        sa.Column("company_inn", sa.String(length=16), nullable=True),
        sa.Column("company_ogrn", sa.String(length=16), nullable=True),
        sa.Column("company_email", sa.String(length=256), nullable=True),
        sa.Column("company_url", sa.String(length=1024), nullable=True),
        sa.Column("hr_agency", sa.Boolean(), nullable=False),
        sa.Column("job_name", sa.String(length=512), nullable=False),
        sa.Column("specialisation", sa.String(length=512), nullable=True),
        sa.Column("code_profession", sa.String(length=16), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=True),
        sa.Column("salary_text", sa.String(length=256), nullable=True),
        sa.Column("salary_min", sa.Integer(), nullable=True),
        sa.Column("salary_max", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=16), nullable=True),
        sa.Column("employment", sa.String(length=128), nullable=True),
        sa.Column("schedule", sa.String(length=128), nullable=True),
        sa.Column("duty", sa.Text(), nullable=True),
        sa.Column("education", sa.String(length=256), nullable=True),
        sa.Column("experience_years", sa.Integer(), nullable=True),
        sa.Column("qualification", sa.Text(), nullable=True),
        sa.Column("address", sa.String(length=1024), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("social_protected", sa.String(length=512), nullable=True),
        sa.Column("contact_person", sa.String(length=256), nullable=True),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("work_places", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=1024), nullable=True),
        sa.Column("search_lemmas", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["vacancy_imports.id"],
            name=op.f("fk_vacancies_import_id_vacancy_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancies")),
    )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.create_index("ix_vacancies_import", ["import_id"], unique=False)
        batch_op.create_index("ix_vacancies_state_region", ["state", "region_code"], unique=False)

    op.create_table(
        "vacancy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizens.id"],
            name=op.f("fk_vacancy_requests_citizen_id_citizens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"], ["vacancies.id"], name=op.f("fk_vacancy_requests_vacancy_id_vacancies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy_requests")),
        sa.UniqueConstraint("citizen_id", "vacancy_id", "kind", name="uq_vacancy_requests_once"),
    )


def downgrade() -> None:
    op.drop_table("vacancy_requests")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.drop_index("ix_vacancies_state_region")
        batch_op.drop_index("ix_vacancies_import")

    op.drop_table("vacancies")
    op.drop_table("job_profiles")
    op.drop_table("vacancy_imports")
