"""personal data and access tokens: personal_token (bearer tokens for the
read API, stored as SHA-256 digests), data_export (a person's data built by
the worker and kept for a day), and user.erased_at (set when an account is
closed and its personal data erased).

Going down drops the two tables (tokens and pending exports are lost; they
can be made again) and the column; erased accounts stay erased, only the
date is forgotten.

Revision ID: 0013_personal_data_tokens
Revises: 0012_invitations_by_address
Create Date: 2026-12-06 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0013_personal_data_tokens'
down_revision: str | None = '0012_invitations_by_address'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'personal_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_personal_token_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_token')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_personal_token_secret_hash')),
    )
    op.create_index(op.f('ix_personal_token_user_id'), 'personal_token', ['user_id'], unique=False)
    op.create_table(
        'data_export',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_until', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('requested_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ready_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('expires_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('downloaded_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('archive', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_data_export_requested_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_data_export_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_export')),
    )
    op.create_index(op.f('ix_data_export_user_id'), 'data_export', ['user_id'], unique=False)
    op.create_index(op.f('ix_data_export_status'), 'data_export', ['status'], unique=False)
    # Plain ALTER TABLE (SQLite has ADD/DROP COLUMN): a batch copy of "user"
    # would lose its expression index on lower(email).
    op.add_column('user', sa.Column('erased_at', app.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('user', 'erased_at')
    op.drop_index(op.f('ix_data_export_status'), table_name='data_export')
    op.drop_index(op.f('ix_data_export_user_id'), table_name='data_export')
    op.drop_table('data_export')
    op.drop_index(op.f('ix_personal_token_user_id'), table_name='personal_token')
    op.drop_table('personal_token')
