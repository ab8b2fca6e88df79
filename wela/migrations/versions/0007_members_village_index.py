"""members: an index on village, for the matcher that reads one village's volunteers at a time

Revision ID: 0007_members_village_index
Revises: 0006_admin_session_epoch
Create Date: 2026-11-22 04:20:00
"""
from alembic import op


revision = '0007_members_village_index'
down_revision = '0006_admin_session_epoch'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch_op:
        batch_op.create_index('ix_members_village', ['village'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('members') as batch_op:
        batch_op.drop_index('ix_members_village')
