"""establishments and surveys

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('establishments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tax_code', sa.String(length=14), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('commune', sa.String(length=64), nullable=True),
    sa.Column('sector', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tax_code')
    )
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=96), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'version')
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_code'), ['code'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('survey_code', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('establishment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by', sa.String(length=96), nullable=True),
    sa.ForeignKeyConstraint(['establishment_id'], ['establishments.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index('ix_survey_responses_code_status', ['survey_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_responses_survey_id'), ['survey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_responses_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_survey_responses_one_submitted', ['survey_code', 'establishment_id'], unique=True, sqlite_where=sa.text("status = 'submitted'"), postgresql_where=sa.text("status = 'submitted'"))

    with op.batch_alter_table('enterprise_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('establishment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_enterprise_profiles_establishment_id'), ['establishment_id'], unique=False)
        batch_op.create_foreign_key('fk_enterprise_profiles_establishment_id', 'establishments', ['establishment_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('enterprise_profiles', schema=None) as batch_op:
        batch_op.drop_constraint('fk_enterprise_profiles_establishment_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enterprise_profiles_establishment_id'))
        batch_op.drop_column('establishment_id')

    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('uq_survey_responses_one_submitted', sqlite_where=sa.text("status = 'submitted'"), postgresql_where=sa.text("status = 'submitted'"))
        batch_op.drop_index(batch_op.f('ix_survey_responses_user_id'))
        batch_op.drop_index(batch_op.f('ix_survey_responses_survey_id'))
        batch_op.drop_index('ix_survey_responses_code_status')

    op.drop_table('survey_responses')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_code'))

    op.drop_table('surveys')
    op.drop_table('establishments')
