"""admin: users.session_epoch, raised at sign-out so that copied session cookies stop working

Revision ID: 0006_admin_session_epoch
Revises: 0005_admin
Create Date: 2026-11-21 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_admin_session_epoch'
down_revision = '0005_admin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_epoch')
