"""review queue index per consultation: comment (consultation_id, status,
created_at, id), so the queue filtered to one consultation reads its pending
items in order instead of walking every consultation's and skipping the others.

Revision ID: 0017_queue_consultation_index
Revises: 0016_moderation_tally
Create Date: 2026-12-07 04:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017_queue_consultation_index'
down_revision: str | None = '0016_moderation_tally'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_consultation_status_created_at',
                              ['consultation_id', 'status', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_consultation_status_created_at')
