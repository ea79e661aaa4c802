"""moderation_tally: the review queue's counts per consultation (pending, held,
flagged), kept by the application as comments change instead of counted on
every queue page. Filled from the comments that exist.

Going down drops the table (the queue counts afresh again).

Revision ID: 0016_moderation_tally
Revises: 0015_content_translations
Create Date: 2026-12-07 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_moderation_tally'
down_revision: str | None = '0015_content_translations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'moderation_tally',
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('pending', sa.Integer(), server_default='0', nullable=False),
        sa.Column('held', sa.Integer(), server_default='0', nullable=False),
        sa.Column('flagged', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'],
                                name=op.f('fk_moderation_tally_consultation_id_consultation'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_moderation_tally')),
    )
    op.execute(
        "INSERT INTO moderation_tally (consultation_id, pending, held, flagged) "
        "SELECT c.consultation_id, "
        "SUM(CASE WHEN c.status = 'pending' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN c.status = 'pending' AND m.hold_rules > '' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN c.status IN ('published', 'hidden') AND COALESCE(m.open_flags, 0) > 0 THEN 1 ELSE 0 END) "
        "FROM comment c LEFT OUTER JOIN comment_moderation m ON m.comment_id = c.id "
        "GROUP BY c.consultation_id")


def downgrade() -> None:
    op.drop_table('moderation_tally')
