"""erasure outbox: what a deleted account still owes other services

Revision ID: d4f6b8c0e234
Revises: c3e5a7b9d123
Create Date: 2026-11-30 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4f6b8c0e234"
down_revision: str | Sequence[str] | None = "c3e5a7b9d123"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_outbox")),
        sa.UniqueConstraint("user_id", "service", name=op.f("uq_erasure_outbox_user_id_service")),
    )
    op.create_index(
        "ix_erasure_outbox_pending",
        "erasure_outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_erasure_outbox_pending",
        table_name="erasure_outbox",
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.drop_table("erasure_outbox")
