"""jobs (the scheduler), fairs and their registrations, buttons on queued messages

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('place', sa.JSON(), nullable=False),
    sa.Column('support', sa.JSON(), nullable=False),
    sa.Column('support_max_vnd', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('booths', sa.Integer(), nullable=False),
    sa.Column('max_booths_per_establishment', sa.Integer(), nullable=False),
    sa.Column('offer_hours', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=96), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('fair_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fair_id', sa.Integer(), nullable=False),
    sa.Column('establishment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('booths', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=96), nullable=True),
    sa.ForeignKeyConstraint(['establishment_id'], ['establishments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fair_id'], ['fairs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('fair_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fair_registrations_establishment_id'), ['establishment_id'], unique=False)
        batch_op.create_index('ix_fair_registrations_fair_status', ['fair_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fair_registrations_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_fair_registrations_one_active', ['fair_id', 'establishment_id'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choices', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('choices')

    with op.batch_alter_table('fair_registrations', schema=None) as batch_op:
        batch_op.drop_index('uq_fair_registrations_one_active', sqlite_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'offered')"))
        batch_op.drop_index(batch_op.f('ix_fair_registrations_user_id'))
        batch_op.drop_index('ix_fair_registrations_fair_status')
        batch_op.drop_index(batch_op.f('ix_fair_registrations_establishment_id'))

    op.drop_table('fair_registrations')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_due_at')

    op.drop_table('jobs')
    op.drop_table('fairs')
