"""The ticket core (numbers, journal, events, watchers, attachments) and incidents, with the
priority matrix (seeded with ITIL's 3 x 3 -> 5 default), categories and routing rules.

Revision ID: 170ec7640171
Revises: 2d2a1dd0a760
Create Date: 2026-11-23 09:12:17.871281

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '170ec7640171'
down_revision = '2d2a1dd0a760'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incident_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['incident_categories.id'], name=op.f('fk_incident_categories_parent_id_incident_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_categories')),
    sa.UniqueConstraint('parent_id', 'name', name=op.f('uq_incident_categories_parent_id_name'))
    )
    with op.batch_alter_table('incident_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('number_counters',
    sa.Column('prefix', sa.String(length=10), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_number_counters'))
    )
    op.create_table('priority_cells',
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('impact', 'urgency', name=op.f('pk_priority_cells'))
    )
    op.create_table('priority_levels',
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('level', name=op.f('pk_priority_levels'))
    )
    op.create_table('priority_scales',
    sa.Column('scale', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('scale', 'value', name=op.f('pk_priority_scales'))
    )
    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('subcategory', sa.String(length=80), nullable=True),
    sa.Column('affected_service', sa.String(length=200), nullable=True),
    sa.Column('ci_name', sa.String(length=200), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_routing_rules_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_position'), ['position'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('incident', name='ticket_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('short_description', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.Enum('portal', 'agent', 'email', 'phone', 'api', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('assignment_group_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('priority_override_reason', sa.String(length=500), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reassignment_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('caller_replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignment_group_id'], ['groups.id'], name=op.f('fk_tickets_assignment_group_id_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['caller_id'], ['users.id'], name=op.f('fk_tickets_caller_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_tickets_opened_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_assignee_state', ['assignee_id', 'state'], unique=False)
        batch_op.create_index('ix_tickets_caller_opened', ['caller_id', 'opened_at'], unique=False)
        batch_op.create_index('ix_tickets_queue', ['assignment_group_id', 'state', 'priority'], unique=False)
        batch_op.create_index('ix_tickets_state_opened', ['state', 'opened_at'], unique=False)
        batch_op.create_index('ix_tickets_kind_opened', ['kind', 'opened_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_priority_opened', ['priority', 'opened_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_opened_by_id', ['opened_by_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('subcategory', sa.String(length=80), nullable=True),
    sa.Column('affected_service', sa.String(length=200), nullable=True),
    sa.Column('hold_reason', sa.Enum('awaiting_caller', 'awaiting_vendor', 'awaiting_change', 'awaiting_problem', name='hold_reason', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('resolution_code', sa.String(length=40), nullable=True),
    sa.Column('resolution_notes', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('major_state', sa.Enum('none', 'proposed', 'accepted', 'rejected', name='major_state', native_enum=False, create_constraint=True, length=32), server_default='none', nullable=False),
    sa.ForeignKeyConstraint(['id'], ['tickets.id'], name=op.f('fk_incidents_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['incidents.id'], name=op.f('fk_incidents_parent_id_incidents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_affected_service'), ['affected_service'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_parent_id'), ['parent_id'], unique=False)

    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('reply', 'work_note', 'change', name='entry_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_journal_entries_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_journal_entries_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entries_ticket_created', ['ticket_id', 'created_at'], unique=False)

    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_ticket', ['ticket_id', 'id'], unique=False)
        batch_op.create_index('ix_ticket_events_type_at', ['type', 'created_at'], unique=False)

    op.create_table('ticket_watchers',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_watchers_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_watchers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'user_id', name=op.f('pk_ticket_watchers'))
    )
    with op.batch_alter_table('ticket_watchers', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_watchers_user_id', ['user_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_attachments_journal_entry_id_journal_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_attachments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('incident_cis',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('ci_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_cis_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'ci_name', name=op.f('pk_incident_cis'))
    )
    with op.batch_alter_table('incident_cis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_cis_ci_name'), ['ci_name'], unique=False)


    scales = sa.table("priority_scales", sa.column("scale", sa.String), sa.column("value", sa.Integer),
                      sa.column("label", sa.String))
    levels = sa.table("priority_levels", sa.column("level", sa.Integer), sa.column("label", sa.String))
    cells = sa.table("priority_cells", sa.column("impact", sa.Integer), sa.column("urgency", sa.Integer),
                     sa.column("priority", sa.Integer))
    names = {1: "High", 2: "Medium", 3: "Low"}
    op.bulk_insert(scales, [{"scale": s, "value": v, "label": label}
                            for s in ("impact", "urgency") for v, label in names.items()])
    op.bulk_insert(levels, [{"level": lv, "label": label} for lv, label in
                            {1: "Critical", 2: "High", 3: "Moderate", 4: "Low", 5: "Planning"}.items()])
    op.bulk_insert(cells, [{"impact": i, "urgency": u, "priority": i + u - 1}
                           for i in range(1, 4) for u in range(1, 4)])


def downgrade():
    with op.batch_alter_table('incident_cis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_cis_ci_name'))

    op.drop_table('incident_cis')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_ticket_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('ticket_watchers', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_watchers_user_id')

    op.drop_table('ticket_watchers')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_type_at')
        batch_op.drop_index('ix_ticket_events_ticket')

    op.drop_table('ticket_events')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entries_ticket_created')

    op.drop_table('journal_entries')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_parent_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_category'))
        batch_op.drop_index(batch_op.f('ix_incidents_affected_service'))

    op.drop_table('incidents')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_state_opened')
        batch_op.drop_index('ix_tickets_kind_opened')
        batch_op.drop_index('ix_tickets_priority_opened')
        batch_op.drop_index('ix_tickets_opened_by_id')
        batch_op.drop_index('ix_tickets_queue')
        batch_op.drop_index('ix_tickets_caller_opened')
        batch_op.drop_index('ix_tickets_assignee_state')

    op.drop_table('tickets')
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_position'))

    op.drop_table('routing_rules')
    op.drop_table('priority_scales')
    op.drop_table('priority_levels')
    op.drop_table('priority_cells')
    op.drop_table('number_counters')
    with op.batch_alter_table('incident_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_categories_parent_id'))

    op.drop_table('incident_categories')
