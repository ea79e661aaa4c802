"""content tokens per scope: one per consultation and one for the whole site,
instead of the one site-wide content revision, so a change on one
consultation keeps every other consultation's kept pages and writers on
different consultations never wait for each other on one row. A scope that
never changed has no row yet; the site token starts now.

Revision ID: 0011_scoped_content_tokens
Revises: 0010_audit_head_sign_in
Create Date: 2026-12-06 00:00:00+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0011_scoped_content_tokens'
down_revision: str | None = '0010_audit_head_sign_in'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        'content_token',
        sa.Column('scope', sa.String(length=80), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('changed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_content_token')),
    )
    op.bulk_insert(table, [{'scope': 'site', 'token': uuid.uuid4().hex, 'changed_at': datetime.now(UTC)}])
    op.drop_table('content_revision')


def downgrade() -> None:
    table = op.create_table(
        'content_revision',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('changed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_content_revision')),
    )
    op.bulk_insert(table, [{'name': 'discussion', 'token': uuid.uuid4().hex, 'changed_at': datetime.now(UTC)}])
    op.drop_table('content_token')
