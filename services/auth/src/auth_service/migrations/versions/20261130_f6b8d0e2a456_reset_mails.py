"""reset mails: every email /forgot-password sends, known address or not (the hourly cap)

Revision ID: f6b8d0e2a456
Revises: e5a7c9d1f345
Create Date: 2026-11-30 20:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6b8d0e2a456"
down_revision: str | Sequence[str] | None = "e5a7c9d1f345"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reset_mails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reset_mails")),
    )
    op.create_index(
        op.f("ix_reset_mails_address_digest"), "reset_mails", ["address_digest"], unique=False
    )
    op.create_index(op.f("ix_reset_mails_created_at"), "reset_mails", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reset_mails_created_at"), table_name="reset_mails")
    op.drop_index(op.f("ix_reset_mails_address_digest"), table_name="reset_mails")
    op.drop_table("reset_mails")
