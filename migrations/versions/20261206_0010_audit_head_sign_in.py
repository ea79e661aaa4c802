"""audit head, sign-in throttle and sealed outbox secrets.

- ``audit_head``: id and hash of the newest audit entry, moved in the
  transaction that appends it, so cutting entries from the end of the chain
  shows. Started from the newest existing entry. On PostgreSQL a trigger
  refuses to delete the head or move it backwards.
- ``sign_in_throttle``: failed sign-ins per (account, address) pair and per
  address, with the time before which the next attempt is refused.
- ``outbox_message.sealed``: the secrets a queued e-mail needs (sign-in
  links), encrypted; the bodies keep placeholders.

Revision ID: 0010_audit_head_sign_in
Revises: 0009_publication_visibility
Create Date: 2026-12-06 00:00:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0010_audit_head_sign_in'
down_revision: str | None = '0009_publication_visibility'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    head = op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    last = op.get_bind().execute(sa.text('SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1')).first()
    if last is not None:
        op.bulk_insert(head, [{'id': 1, 'entry_id': last[0], 'hash': last[1], 'updated_at': datetime.now(UTC)}])
    if op.get_bind().dialect.name == 'postgresql':
        # The head only moves forward and is never removed by the application's role.
        op.execute("""
            CREATE FUNCTION audit_head_forward_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR NEW.entry_id < OLD.entry_id THEN
                    RAISE EXCEPTION 'audit_head only moves forward (% refused)', TG_OP;
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_head_forward_only
            BEFORE UPDATE OR DELETE ON audit_head
            FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()
        """)

    op.create_table(
        'sign_in_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('account_key', sa.String(length=64), nullable=True),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_failure_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('retry_after', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttle')),
    )
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttle_account_key'), ['account_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_throttle_last_failure_at'), ['last_failure_at'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('sealed')

    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttle_last_failure_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_throttle_account_key'))
    op.drop_table('sign_in_throttle')

    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head')
        op.execute('DROP FUNCTION IF EXISTS audit_head_forward_only()')
    op.drop_table('audit_head')
