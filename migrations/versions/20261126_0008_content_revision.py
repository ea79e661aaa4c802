"""content revision: one token per kind of rendered content, replaced by every
transaction that changes what discussions show, so rendered discussion windows
can be kept for visitors and never outlive the data they show.

Revision ID: 0008_content_revision
Revises: 0007_queue_index
Create Date: 2026-11-26 18:40:00+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0008_content_revision'
down_revision: str | None = '0007_queue_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        'content_revision',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('changed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_content_revision')),
    )
    op.bulk_insert(table, [{'name': 'discussion', 'token': uuid.uuid4().hex, 'changed_at': datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table('content_revision')
