"""users.email_key: the email NFKC-normalised and case-folded, unique

Revision ID: c3e5a7b9d123
Revises: b2d4f6a8c012
Create Date: 2026-11-30 17:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e5a7b9d123"
down_revision: str | Sequence[str] | None = "b2d4f6a8c012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email_key", sa.String(length=320), nullable=True))
    # PostgreSQL's NFKC plus lower() approximates Python's casefold for existing rows.
    op.execute("UPDATE users SET email_key = lower(normalize(email, NFKC))")
    op.alter_column("users", "email_key", nullable=False)
    op.create_unique_constraint(op.f("uq_users_email_key"), "users", ["email_key"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_users_email_key"), "users", type_="unique")
    op.drop_column("users", "email_key")
