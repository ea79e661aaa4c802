"""email frequency: participant e-mails immediately (default) or once a day in
one e-mail; an index on notification.created_at for the daily selection.

Revision ID: 0006_email_frequency
Revises: 0005_summaries
Create Date: 2026-11-26 16:21:25.233794+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_email_frequency'
down_revision: str | None = '0005_summaries'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_created_at'), ['created_at'], unique=False)

    # Existing rows get the server default: everyone keeps immediate e-mails.
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_frequency', sa.String(length=16), server_default='immediate',
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_notification_preference_email_frequency'), ['email_frequency'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preference_email_frequency'))
        batch_op.drop_column('email_frequency')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_created_at'))
