"""reset tokens record when they were issued (a few reset emails per account per hour)

Revision ID: a1c3e5f7b901
Revises: 1bbc78cb245a
Create Date: 2026-11-30 17:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c3e5f7b901"
down_revision: str | Sequence[str] | None = "1bbc78cb245a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "password_reset_tokens",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )
    op.alter_column("password_reset_tokens", "created_at", server_default=None)


def downgrade() -> None:
    op.drop_column("password_reset_tokens", "created_at")
