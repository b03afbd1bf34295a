"""Mail out: every mail the desk composes (outbound_mails) and the addresses known to bounce
(mail_addresses).

New tables only; nothing to carry forward.

Revision ID: c3b83b7182a2
Revises: 5b8e2c4f7a19
Create Date: 2026-12-06 10:03:14.841836

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3b83b7182a2'
down_revision = '5b8e2c4f7a19'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('bouncing', sa.Boolean(), nullable=False),
    sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bounce_reason', sa.Text(), nullable=True),
    sa.Column('bounce_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_addresses')),
    sa.UniqueConstraint('address', name=op.f('uq_mail_addresses_address'))
    )
    op.create_table('outbound_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('to_name', sa.String(length=200), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('in_reply_to', sa.String(length=255), nullable=True),
    sa.Column('references', sa.Text(), nullable=False),
    sa.Column('auto_generated', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('recorded', 'queued', 'sent', 'failed', 'dead', name='mail_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_outbound_mails_recipient_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_outbound_mails_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_mails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbound_mails_message_id'))
    )
    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_mails_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_mails_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_outbound_mails_state_id', ['state', 'id'], unique=False)
        batch_op.create_index('ix_outbound_mails_ticket_id_id', ['ticket_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_mails_ticket_id_id')
        batch_op.drop_index('ix_outbound_mails_state_id')
        batch_op.drop_index(batch_op.f('ix_outbound_mails_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_outbound_mails_notification_id'))

    op.drop_table('outbound_mails')
    op.drop_table('mail_addresses')
