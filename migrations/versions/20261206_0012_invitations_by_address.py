"""invitations by e-mail address: invitation.email (lower-cased, unique per
consultation), and exactly one of organisation, user and address per row.
An address invitation applies to the account that verified that address, so
inviting never tells the author whether an account exists.

Going down, an address invitation becomes a user invitation when a verified
account has that address (and is not invited already); the others cannot be
kept without the column and are removed.

Revision ID: 0012_invitations_by_address
Revises: 0011_scoped_content_tokens
Create Date: 2026-12-06 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_invitations_by_address'
down_revision: str | None = '0011_scoped_content_tokens'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OF_THREE = ("(CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END)"
                " + (CASE WHEN email IS NULL THEN 0 ELSE 1 END) = 1")
ONE_OF_TWO = "(organisation_id IS NULL) <> (user_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_invitation_one_invitee'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_invitation_one_invitee'), sa.text(ONE_OF_THREE))
        batch_op.create_unique_constraint(batch_op.f('uq_invitation_consultation_id_email'),
                                          ['consultation_id', 'email'])
        batch_op.create_index(batch_op.f('ix_invitation_email'), ['email'], unique=False)


def downgrade() -> None:
    op.execute(
        'UPDATE invitation SET email = NULL, user_id = (SELECT u.id FROM "user" u '
        "WHERE lower(u.email) = invitation.email AND u.email_verified_at IS NOT NULL) "
        'WHERE email IS NOT NULL AND EXISTS (SELECT 1 FROM "user" u '
        "WHERE lower(u.email) = invitation.email AND u.email_verified_at IS NOT NULL) "
        'AND NOT EXISTS (SELECT 1 FROM invitation other JOIN "user" u ON u.id = other.user_id '
        "WHERE other.consultation_id = invitation.consultation_id AND lower(u.email) = invitation.email)"
    )
    op.execute("DELETE FROM invitation WHERE email IS NOT NULL")
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_email'))
        batch_op.drop_constraint(batch_op.f('uq_invitation_consultation_id_email'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_invitation_one_invitee'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_invitation_one_invitee'), sa.text(ONE_OF_TWO))
        batch_op.drop_column('email')
