"""refresh tokens: the identity provider's refresh token, sealed (AUTH_PROVIDER=cognito)

Revision ID: e5a7c9d1f345
Revises: d4f6b8c0e234
Create Date: 2026-11-30 20:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a7c9d1f345"
down_revision: str | Sequence[str] | None = "d4f6b8c0e234"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("refresh_tokens", sa.Column("upstream_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("refresh_tokens", "upstream_sealed")
