"""survey responses: the export row (metadata start and end, then the answers in the order of
the version's questions, as JSON text), filled in for the responses already there

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_BATCH = 1000

surveys = sa.table('surveys', sa.column('id', sa.Integer), sa.column('form', sa.JSON))
responses = sa.table(
    'survey_responses', sa.column('id', sa.Integer), sa.column('survey_id', sa.Integer),
    sa.column('progress', sa.JSON), sa.column('metadata', sa.JSON),
    sa.column('export_row', sa.Text))


def upgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('export_row', sa.Text(), nullable=True))
    bind = op.get_bind()
    names = {survey_id: [question['name'] for question in (form or {}).get('questions', ())]
             for survey_id, form in bind.execute(sa.select(surveys.c.id, surveys.c.form))}
    fill = (responses.update().where(responses.c.id == sa.bindparam('response_id'))
            .values(export_row=sa.bindparam('row')))
    last = 0
    while True:  # by id, a batch at a time: memory stays flat however many responses
        rows = bind.execute(
            sa.select(responses.c.id, responses.c.survey_id, responses.c.progress,
                      responses.c.metadata)
            .where(responses.c.id > last).order_by(responses.c.id).limit(_BATCH)).all()
        if not rows:
            break
        bind.execute(fill, [{'response_id': response_id,
                             'row': _export_row(progress, metadata, names.get(survey_id, []))}
                            for response_id, survey_id, progress, metadata in rows])
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_column('export_row')


# storage.surveys.export_row as it was at this revision (a migration keeps its own copy, so
# later changes to the code do not change what it did).
def _export_row(progress, metadata, names) -> str:
    answers = (progress or {}).get('a') or {}
    metadata = metadata or {}
    return json.dumps([_as_text(metadata.get('start')), _as_text(metadata.get('end')),
                       *(_as_text(answers.get(name)) for name in names)],
                      ensure_ascii=False, separators=(',', ':'))


def _as_text(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
