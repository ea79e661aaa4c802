"""review queue index: comment (status, created_at, id), so the queue's tabs
read pending items in order without scanning every comment.

Revision ID: 0007_queue_index
Revises: 0006_email_frequency
Create Date: 2026-11-26 17:01:30.905001+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0007_queue_index'
down_revision: str | None = '0006_email_frequency'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_status_created_at', ['status', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_status_created_at')

