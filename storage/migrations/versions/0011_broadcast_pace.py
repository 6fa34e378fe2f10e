"""broadcast pace: each channel's next free send slot, shared by the workers sending on it,
replaces the senders' heartbeats (each paced at the rate divided by the live ones)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'broadcast_pace',
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('next_slot', sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint('channel'),
    )
    op.drop_index(op.f('ix_broadcast_senders_seen_at'), table_name='broadcast_senders')
    op.drop_table('broadcast_senders')


def downgrade() -> None:
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
    op.drop_table('broadcast_pace')
