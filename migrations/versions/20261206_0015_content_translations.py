"""content translations: consultation_translation (title, summary and
questions of a consultation per language), section_translation (a provision
per anchor and language, with the digest of the original it translates),
summary_translation (a summary's text and points per language), and
consultation.original_language (the language that prevails, 'en' for the
consultations that exist).

Going down drops the three tables (the translations are lost; the originals
remain) and the column.

Revision ID: 0015_content_translations
Revises: 0014_content_translations
Create Date: 2026-12-06 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0015_content_translations'
down_revision: str | None = '0014_content_translations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'consultation_translation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('summary_source', sa.Text(), nullable=False),
        sa.Column('summary_html', sa.Text(), nullable=False),
        sa.Column('questions_source', sa.Text(), nullable=False),
        sa.Column('questions_html', sa.Text(), nullable=False),
        sa.Column('sanitizer_version', sa.Integer(), nullable=False),
        sa.Column('source_digest', sa.String(length=64), nullable=False),
        sa.Column('translator_id', sa.Integer(), nullable=True),
        sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'],
                                name=op.f('fk_consultation_translation_consultation_id_consultation'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['translator_id'], ['user.id'],
                                name=op.f('fk_consultation_translation_translator_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_translation')),
        sa.UniqueConstraint('consultation_id', 'language',
                            name=op.f('uq_consultation_translation_consultation_id_language')),
    )
    op.create_index(op.f('ix_consultation_translation_consultation_id'), 'consultation_translation',
                    ['consultation_id'], unique=False)
    op.create_table(
        'section_translation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('anchor', sa.String(length=80), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('heading', sa.String(length=300), nullable=False),
        sa.Column('body_source', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('sanitizer_version', sa.Integer(), nullable=False),
        sa.Column('source_digest', sa.String(length=64), nullable=False),
        sa.Column('version_number', sa.Integer(), nullable=False),
        sa.Column('translator_id', sa.Integer(), nullable=True),
        sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'],
                                name=op.f('fk_section_translation_consultation_id_consultation'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['translator_id'], ['user.id'],
                                name=op.f('fk_section_translation_translator_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_section_translation')),
        sa.UniqueConstraint('consultation_id', 'anchor', 'language',
                            name=op.f('uq_section_translation_consultation_id_anchor_language')),
    )
    op.create_index(op.f('ix_section_translation_consultation_id'), 'section_translation', ['consultation_id'],
                    unique=False)
    op.create_table(
        'summary_translation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('summary_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('overall_source', sa.Text(), nullable=False),
        sa.Column('overall_html', sa.Text(), nullable=False),
        sa.Column('overall_digest', sa.String(length=64), nullable=False),
        sa.Column('points', sa.JSON(), nullable=False),
        sa.Column('sanitizer_version', sa.Integer(), nullable=False),
        sa.Column('revision_number', sa.Integer(), nullable=False),
        sa.Column('translator_id', sa.Integer(), nullable=True),
        sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['summary_id'], ['summary.id'], name=op.f('fk_summary_translation_summary_id_summary'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['translator_id'], ['user.id'],
                                name=op.f('fk_summary_translation_translator_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_translation')),
        sa.UniqueConstraint('summary_id', 'language', name=op.f('uq_summary_translation_summary_id_language')),
    )
    op.create_index(op.f('ix_summary_translation_summary_id'), 'summary_translation', ['summary_id'], unique=False)
    # Plain ALTER TABLE: a batch copy of "consultation" would delete the rows that cascade from it.
    op.add_column('consultation', sa.Column('original_language', sa.String(length=8), server_default='en',
                                            nullable=False))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite has DROP COLUMN): a batch copy of "consultation" would
    # delete the rows that cascade from it.
    op.drop_column('consultation', 'original_language')
    op.drop_index(op.f('ix_summary_translation_summary_id'), table_name='summary_translation')
    op.drop_table('summary_translation')
    op.drop_index(op.f('ix_section_translation_consultation_id'), table_name='section_translation')
    op.drop_table('section_translation')
    op.drop_index(op.f('ix_consultation_translation_consultation_id'), table_name='consultation_translation')
    op.drop_table('consultation_translation')
