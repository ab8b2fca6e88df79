"""voice: calls, call steps, outbound call orders, callback requests, pending registrations

Revision ID: 0004_voice
Revises: 0002
Create Date: 2026-11-21 18:55:19.267053
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_voice'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voice_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('name_recording_url', sa.String(length=500), nullable=False),
    sa.Column('village_recording_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_registrations')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_voice_registrations_call_sid'))
    )
    op.create_table('voice_callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_voice_callback_requests_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_callback_requests')),
    sa.UniqueConstraint('key', name=op.f('uq_voice_callback_requests_key'))
    )
    op.create_table('voice_outbound_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_voice_outbound_calls_member_id_members')),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_voice_outbound_calls_request_id_help_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_outbound_calls')),
    sa.UniqueConstraint('key', name=op.f('uq_voice_outbound_calls_key'))
    )
    with op.batch_alter_table('voice_outbound_calls', schema=None) as batch_op:
        batch_op.create_index('ix_voice_outbound_calls_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('voice_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('from_phone', sa.String(length=40), nullable=False),
    sa.Column('to_phone', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('node', sa.String(length=30), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_reply', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('needed_person', sa.Boolean(), nullable=False),
    sa.Column('tasks', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_voice_calls_member_id_members')),
    sa.ForeignKeyConstraint(['order_id'], ['voice_outbound_calls.id'], name=op.f('fk_voice_calls_order_id_voice_outbound_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_calls')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_voice_calls_call_sid'))
    )
    with op.batch_alter_table('voice_calls', schema=None) as batch_op:
        batch_op.create_index('ix_voice_calls_member', ['member_id'], unique=False)
        batch_op.create_index('ix_voice_calls_started_at', ['started_at'], unique=False)

    op.create_table('voice_call_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('node', sa.String(length=30), nullable=False),
    sa.Column('event', sa.String(length=12), nullable=False),
    sa.Column('digits', sa.String(length=20), nullable=False),
    sa.Column('next_node', sa.String(length=30), nullable=False),
    sa.Column('task', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['voice_calls.id'], name=op.f('fk_voice_call_steps_call_id_voice_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_call_steps')),
    sa.UniqueConstraint('call_id', 'seq', name='uq_voice_call_steps_call_seq')
    )


def downgrade() -> None:
    op.drop_table('voice_call_steps')
    with op.batch_alter_table('voice_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_voice_calls_started_at')
        batch_op.drop_index('ix_voice_calls_member')

    op.drop_table('voice_calls')
    with op.batch_alter_table('voice_outbound_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_voice_outbound_calls_due')

    op.drop_table('voice_outbound_calls')
    op.drop_table('voice_callback_requests')
    op.drop_table('voice_registrations')
