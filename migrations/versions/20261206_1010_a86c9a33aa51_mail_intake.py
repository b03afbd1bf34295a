"""Mail in: the mailboxes the desk reads, every message it received, unverified callers.

Two new tables, and ``users.unverified`` (false for every existing account): a person made for
an unknown sender of a mail, with no password, who cannot sign in until an administrator checks
the account.

Revision ID: a86c9a33aa51
Revises: e3a91c5d7f20
Create Date: 2026-12-06 10:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a86c9a33aa51'
down_revision = 'e3a91c5d7f20'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    op.create_table('mailboxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('assignment_group_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('impact', sa.Integer(), server_default='3', nullable=False),
    sa.Column('urgency', sa.Integer(), server_default='3', nullable=False),
    sa.Column('unknown_senders', _enum('unknown_senders', 'create', 'refuse'), nullable=False),
    sa.Column('imap_host', sa.String(length=255), nullable=True),
    sa.Column('imap_port', sa.Integer(), nullable=True),
    sa.Column('imap_security', _enum('imap_security', 'ssl', 'starttls', 'none'), nullable=False),
    sa.Column('imap_username', sa.String(length=255), nullable=True),
    sa.Column('imap_password', sa.String(length=255), nullable=True),
    sa.Column('imap_folder', sa.String(length=255), nullable=False),
    sa.Column('processed_folder', sa.String(length=255), nullable=False),
    sa.Column('poll_seconds', sa.Integer(), server_default='60', nullable=False),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_group_id'], ['groups.id'], name=op.f('fk_mailboxes_assignment_group_id_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailboxes')),
    sa.UniqueConstraint('address', name=op.f('uq_mailboxes_address')),
    sa.UniqueConstraint('name', name=op.f('uq_mailboxes_name'))
    )
    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('mailbox_id', sa.Integer(), nullable=True),
    sa.Column('from_address', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', _enum('inbound_state', 'processed', 'ignored', 'quarantined', 'dismissed'), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailboxes.id'], name=op.f('fk_inbound_messages_mailbox_id_mailboxes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_inbound_messages_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_messages_message_id'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_messages_sender_received', ['from_address', 'received_at'], unique=False)
        batch_op.create_index('ix_inbound_messages_state_received', ['state', 'received_at'], unique=False)
        batch_op.create_index('ix_inbound_messages_ticket_received', ['ticket_id', 'received_at'], unique=False)
    # A plain ADD COLUMN (NOT NULL with a constant default), never a copy of the users table
    # (which other tables reference).
    op.add_column(
        'users', sa.Column('unverified', sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a copy of the users table.
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.drop_column('unverified')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_ticket_received')
        batch_op.drop_index('ix_inbound_messages_state_received')
        batch_op.drop_index('ix_inbound_messages_sender_received')
    op.drop_table('inbound_messages')
    op.drop_table('mailboxes')
