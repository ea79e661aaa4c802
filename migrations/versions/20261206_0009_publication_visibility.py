"""publication visibility: a summary revision carries its own ``restricted``
flag, set on the draft and frozen when the revision is published, instead of
one flag on the summary that a later draft could change for revisions already
published.

Every existing revision takes the summary's current flag; a published
revision whose figures counted restricted comments stays restricted whatever
the summary's flag says now.

Revision ID: 0009_publication_visibility
Revises: 0008_content_revision
Create Date: 2026-12-06 00:00:00+00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_publication_visibility'
down_revision: str | None = '0008_content_revision'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counted_restricted(statistics) -> bool:
    if statistics is None:
        return False
    if isinstance(statistics, str):
        try:
            statistics = json.loads(statistics)
        except ValueError:
            return True  # unreadable figures: keep the revision closed
    return bool(isinstance(statistics, dict) and statistics.get('include_restricted'))


def _drop_summary_restricted() -> None:
    # SQLite (3.35+) drops the column in place. A batch copy of the table would
    # drop and recreate ``summary``, and with foreign keys on, dropping it
    # cascades to every revision and forwarding.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE summary DROP COLUMN restricted')
    else:
        op.drop_column('summary', 'restricted')


def upgrade() -> None:
    op.add_column('summary_revision', sa.Column('restricted', sa.Boolean(), server_default='0', nullable=False))
    bind = op.get_bind()
    summary = sa.table('summary', sa.column('id', sa.Integer), sa.column('restricted', sa.Boolean))
    revision_table = sa.table('summary_revision', sa.column('id', sa.Integer), sa.column('summary_id', sa.Integer),
                              sa.column('statistics', sa.Text), sa.column('restricted', sa.Boolean))
    flags = {row.id: bool(row.restricted) for row in bind.execute(sa.select(summary.c.id, summary.c.restricted))}
    rows = bind.execute(sa.select(revision_table.c.id, revision_table.c.summary_id,
                                  revision_table.c.statistics)).all()
    closed = [row.id for row in rows if flags.get(row.summary_id) or _counted_restricted(row.statistics)]
    for start in range(0, len(closed), 500):
        bind.execute(revision_table.update().where(revision_table.c.id.in_(closed[start:start + 500]))
                     .values(restricted=True))
    _drop_summary_restricted()


def downgrade() -> None:
    op.add_column('summary', sa.Column('restricted', sa.Boolean(), server_default='0', nullable=False))
    bind = op.get_bind()
    summary = sa.table('summary', sa.column('id', sa.Integer), sa.column('restricted', sa.Boolean))
    revision_table = sa.table('summary_revision', sa.column('summary_id', sa.Integer),
                              sa.column('restricted', sa.Boolean))
    # One flag per summary again: restricted if any revision was (the safe side).
    closed = [row.summary_id for row in bind.execute(
        sa.select(revision_table.c.summary_id).where(revision_table.c.restricted.is_(True)).distinct())]
    for start in range(0, len(closed), 500):
        bind.execute(summary.update().where(summary.c.id.in_(closed[start:start + 500])).values(restricted=True))
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE summary_revision DROP COLUMN restricted')
    else:
        op.drop_column('summary_revision', 'restricted')
