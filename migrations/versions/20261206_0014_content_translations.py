"""policy pages and consent to the terms: policy_page_version (privacy notice,
terms of participation and accessibility statement, numbered versions per
language with source and sanitised HTML), and user.terms_version /
user.terms_accepted_at (the terms an account accepted, and when).

Going down drops the table (the administrators' versions are lost; the
default texts shipped with the platform remain) and the two columns (every
account is asked to accept the terms again after the next upgrade).

Revision ID: 0014_content_translations
Revises: 0013_personal_data_tokens
Create Date: 2026-12-06 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0014_content_translations'
down_revision: str | None = '0013_personal_data_tokens'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'policy_page_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('body_source', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('sanitizer_version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('change_note', sa.String(length=500), server_default='', nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_policy_page_version_author_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_page_version')),
    )
    op.create_index('uq_policy_page_version_slug_language_number', 'policy_page_version',
                    ['slug', 'language', 'number'], unique=True)
    # Plain ALTER TABLE (SQLite has ADD/DROP COLUMN): a batch copy of "user" would lose its
    # expression index on lower(email).
    op.add_column('user', sa.Column('terms_version', sa.Integer(), nullable=True))
    op.add_column('user', sa.Column('terms_accepted_at', app.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('user', 'terms_accepted_at')
    op.drop_column('user', 'terms_version')
    op.drop_index('uq_policy_page_version_slug_language_number', table_name='policy_page_version')
    op.drop_table('policy_page_version')
