"""survey responses: the export's order in the code and status index

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-10
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_responses_code_status')
        batch_op.create_index('ix_survey_responses_code_status',
                              ['survey_code', 'status', 'submitted_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_responses_code_status')
        batch_op.create_index('ix_survey_responses_code_status', ['survey_code', 'status'],
                              unique=False)
