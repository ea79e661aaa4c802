"""summaries: revisable summaries with points citing comments, the
comment-resolution table (dispositions), forwardings to focal points with
acknowledgements and responses; digest subscriptions and digests (one per
recipient and period).

Revision ID: 0005_summaries
Revises: 0004_moderation
Create Date: 2026-11-26 15:31:24.918761+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0005_summaries'
down_revision: str | None = '0004_moderation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('period_key', sa.String(length=32), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('period_start', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period_end', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_digest_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest')),
    sa.UniqueConstraint('user_id', 'period_key', name=op.f('uq_digest_user_id_period_key'))
    )
    with op.batch_alter_table('digest', schema=None) as batch_op:
        batch_op.create_index('ix_digest_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('digest_subscription',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('countries', sa.JSON(), nullable=False),
    sa.Column('obligations', sa.JSON(), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_digest_subscription_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_digest_subscription'))
    )
    op.create_table('summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('restricted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_summary_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_summary_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary')),
    sa.UniqueConstraint('consultation_id', name=op.f('uq_summary_consultation_id'))
    )
    op.create_table('summary_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('overall_source', sa.Text(), nullable=False),
    sa.Column('overall_html', sa.Text(), nullable=False),
    sa.Column('sanitizer_version', sa.Integer(), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.Column('statistics', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_summary_revision_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_summary_revision_published_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['summary_id'], ['summary.id'], name=op.f('fk_summary_revision_summary_id_summary'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_revision')),
    sa.UniqueConstraint('summary_id', 'number', name=op.f('uq_summary_revision_summary_id_number'))
    )
    with op.batch_alter_table('summary_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_revision_summary_id'), ['summary_id'], unique=False)

    op.create_table('disposition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('point_raised', sa.Text(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_disposition_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], name=op.f('fk_disposition_section_id_section'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['summary_id'], ['summary.id'], name=op.f('fk_disposition_summary_id_summary'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposition'))
    )
    with op.batch_alter_table('disposition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposition_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disposition_summary_id'), ['summary_id'], unique=False)

    op.create_table('forwarding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=False),
    sa.Column('target_key', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('forwarded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['forwarded_by_id'], ['user.id'], name=op.f('fk_forwarding_forwarded_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revision_id'], ['summary_revision.id'], name=op.f('fk_forwarding_revision_id_summary_revision'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forwarding')),
    sa.UniqueConstraint('revision_id', 'target_type', 'target_key', name=op.f('uq_forwarding_revision_id_target_type_target_key'))
    )
    with op.batch_alter_table('forwarding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forwarding_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_forwarding_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index('ix_forwarding_target', ['target_type', 'target_key'], unique=False)

    op.create_table('summary_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text_source', sa.Text(), nullable=False),
    sa.Column('text_html', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['summary_revision.id'], name=op.f('fk_summary_point_revision_id_summary_revision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], name=op.f('fk_summary_point_section_id_section'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_point'))
    )
    with op.batch_alter_table('summary_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_point_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_summary_point_section_id'), ['section_id'], unique=False)

    op.create_table('disposition_comment',
    sa.Column('disposition_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_disposition_comment_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['disposition_id'], ['disposition.id'], name=op.f('fk_disposition_comment_disposition_id_disposition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('disposition_id', 'comment_id', name=op.f('pk_disposition_comment'))
    )
    with op.batch_alter_table('disposition_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposition_comment_comment_id'), ['comment_id'], unique=False)

    op.create_table('forwarding_recipient',
    sa.Column('forwarding_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['forwarding_id'], ['forwarding.id'], name=op.f('fk_forwarding_recipient_forwarding_id_forwarding'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_forwarding_recipient_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('forwarding_id', 'user_id', name=op.f('pk_forwarding_recipient'))
    )
    with op.batch_alter_table('forwarding_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forwarding_recipient_user_id'), ['user_id'], unique=False)

    op.create_table('forwarding_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forwarding_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('sanitizer_version', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_forwarding_response_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forwarding_id'], ['forwarding.id'], name=op.f('fk_forwarding_response_forwarding_id_forwarding'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forwarding_response'))
    )
    with op.batch_alter_table('forwarding_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forwarding_response_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forwarding_response_forwarding_id'), ['forwarding_id'], unique=False)

    op.create_table('summary_citation',
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_summary_citation_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['point_id'], ['summary_point.id'], name=op.f('fk_summary_citation_point_id_summary_point'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('point_id', 'comment_id', name=op.f('pk_summary_citation'))
    )
    with op.batch_alter_table('summary_citation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_citation_comment_id'), ['comment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('summary_citation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summary_citation_comment_id'))

    op.drop_table('summary_citation')
    with op.batch_alter_table('forwarding_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forwarding_response_forwarding_id'))
        batch_op.drop_index(batch_op.f('ix_forwarding_response_author_id'))

    op.drop_table('forwarding_response')
    with op.batch_alter_table('forwarding_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forwarding_recipient_user_id'))

    op.drop_table('forwarding_recipient')
    with op.batch_alter_table('disposition_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposition_comment_comment_id'))

    op.drop_table('disposition_comment')
    with op.batch_alter_table('summary_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summary_point_section_id'))
        batch_op.drop_index(batch_op.f('ix_summary_point_revision_id'))

    op.drop_table('summary_point')
    with op.batch_alter_table('forwarding', schema=None) as batch_op:
        batch_op.drop_index('ix_forwarding_target')
        batch_op.drop_index(batch_op.f('ix_forwarding_revision_id'))
        batch_op.drop_index(batch_op.f('ix_forwarding_created_at'))

    op.drop_table('forwarding')
    with op.batch_alter_table('disposition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposition_summary_id'))
        batch_op.drop_index(batch_op.f('ix_disposition_section_id'))

    op.drop_table('disposition')
    with op.batch_alter_table('summary_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summary_revision_summary_id'))

    op.drop_table('summary_revision')
    op.drop_table('summary')
    op.drop_table('digest_subscription')
    with op.batch_alter_table('digest', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_user_id_created_at')

    op.drop_table('digest')
