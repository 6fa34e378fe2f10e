"""broadcasts: subscriptions on users, broadcasts, their per-recipient delivery rows, and the
senders sharing each channel's rate

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('broadcast_notice_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'broadcasts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('audience', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.String(length=96), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_by', sa.String(length=96), nullable=True),
        sa.Column('listed', sa.Boolean(), nullable=False),
        sa.Column('listed_up_to', sa.Integer(), nullable=False),
        sa.Column('progress_message_id', sa.String(length=64), nullable=True),
        sa.Column('progress_text', sa.Text(), nullable=True),
        sa.Column('progress_lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['staff_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_broadcasts_status'), 'broadcasts', ['status'], unique=False)
    op.create_table(
        'broadcast_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('broadcast_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=64), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('broadcast_id', 'user_id'),
    )
    op.create_index('ix_broadcast_recipients_claim', 'broadcast_recipients',
                    ['channel', 'status', 'next_attempt_at'], unique=False)
    op.create_index('ix_broadcast_recipients_broadcast_status', 'broadcast_recipients',
                    ['broadcast_id', 'status'], unique=False)
    op.create_index(op.f('ix_broadcast_recipients_user_id'), 'broadcast_recipients',
                    ['user_id'], unique=False)
    op.create_table(
        'broadcast_senders',
        sa.Column('sender', sa.String(length=96), nullable=False),
        sa.Column('worker', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('sender'),
    )
    op.create_index(op.f('ix_broadcast_senders_seen_at'), 'broadcast_senders', ['seen_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_broadcast_senders_seen_at'), table_name='broadcast_senders')
    op.drop_table('broadcast_senders')
    op.drop_index(op.f('ix_broadcast_recipients_user_id'), table_name='broadcast_recipients')
    op.drop_index('ix_broadcast_recipients_broadcast_status', table_name='broadcast_recipients')
    op.drop_index('ix_broadcast_recipients_claim', table_name='broadcast_recipients')
    op.drop_table('broadcast_recipients')
    op.drop_index(op.f('ix_broadcasts_status'), table_name='broadcasts')
    op.drop_table('broadcasts')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('broadcast_notice_at')
        batch.drop_column('unsubscribed_at')
