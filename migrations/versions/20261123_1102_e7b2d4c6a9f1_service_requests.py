"""Service requests: the catalog (categories, items, form versions), requests, request items,
catalog tasks, approvals and delegations; tickets accept the three new kinds.

Revision ID: e7b2d4c6a9f1
Revises: d5f8a2c1b7e3
Create Date: 2026-11-23 11:00:00

"""
import re

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'e7b2d4c6a9f1'
down_revision = 'd5f8a2c1b7e3'
branch_labels = None
depends_on = None

OLD_KINDS = ("incident",)
NEW_KINDS = ("incident", "request", "request_item", "catalog_task")
KIND_CHECK = "ck_tickets_ticket_kind"


def _set_ticket_kinds(kinds):
    """Widen (or narrow back) the CHECK constraint on ``tickets.kind``.

    PostgreSQL drops and re-creates the constraint. SQLite cannot alter a constraint, and the
    batch mode's copy-and-drop of ``tickets`` would be destructive here: with foreign keys on
    (the app's connections turn them on, and a transaction cannot turn them off), dropping
    ``tickets`` runs its ON DELETE CASCADE actions and empties the journal, incidents and
    attachments. So SQLite gets the procedure its documentation gives for changes that leave
    the stored data valid: the table's CREATE statement is rewritten in ``sqlite_master`` and
    the schema version bumped, in this migration's transaction.
    """
    condition = "kind IN (%s)" % ", ".join("'%s'" % k for k in kinds)
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(KIND_CHECK), "tickets", type_="check")
        op.create_check_constraint(op.f(KIND_CHECK), "tickets", condition)
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tickets'"
    ).scalar()
    pattern = re.compile(r"CONSTRAINT %s CHECK \(kind IN \([^)]*\)\)" % KIND_CHECK)
    if not pattern.search(sql or ""):
        raise RuntimeError("tickets has no %s constraint to change" % KIND_CHECK)
    new_sql = pattern.sub("CONSTRAINT %s CHECK (%s)" % (KIND_CHECK, condition), sql)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'tickets'"),
        {"sql": new_sql},
    )
    bind.exec_driver_sql("PRAGMA schema_version = %d" % (version + 1))
    bind.exec_driver_sql("PRAGMA writable_schema = RESET")


def upgrade():
    _set_ticket_kinds(NEW_KINDS)
    # The console lists incidents and catalog tasks together by opened: an index for that.
    op.create_index('ix_tickets_opened_id_kind', 'tickets', ['opened_at', 'id', 'kind'])
    op.create_table('catalog_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_catalog_categories_name'))
    )
    op.create_table('approval_delegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delegator_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('delegator_id <> delegate_id', name=op.f('ck_approval_delegations_not_self')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_approval_delegations_period_order')),
    sa.ForeignKeyConstraint(['delegate_id'], ['users.id'], name=op.f('fk_approval_delegations_delegate_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delegator_id'], ['users.id'], name=op.f('fk_approval_delegations_delegator_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_delegations'))
    )
    with op.batch_alter_table('approval_delegations', schema=None) as batch_op:
        batch_op.create_index('ix_approval_delegations_delegate_ends', ['delegate_id', 'ends_at'], unique=False)
        batch_op.create_index('ix_approval_delegations_delegator_ends', ['delegator_id', 'ends_at'], unique=False)

    op.create_table('catalog_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('short_description', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.Enum('everyone', 'groups', name='catalog_audience', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('delivery_days', sa.Integer(), nullable=False),
    sa.Column('fulfilment_group_id', sa.Integer(), nullable=False),
    sa.Column('service_owner_id', sa.Integer(), nullable=True),
    sa.Column('approval_policy', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('task_template', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('automation', sa.Enum('directory_group', name='catalog_automation', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('automation_group_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('delivery_days >= 0 AND delivery_days <= 365', name=op.f('ck_catalog_items_delivery_days_range')),
    sa.ForeignKeyConstraint(['automation_group_id'], ['groups.id'], name=op.f('fk_catalog_items_automation_group_id_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['catalog_categories.id'], name=op.f('fk_catalog_items_category_id_catalog_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fulfilment_group_id'], ['groups.id'], name=op.f('fk_catalog_items_fulfilment_group_id_groups'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['service_owner_id'], ['users.id'], name=op.f('fk_catalog_items_service_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_items')),
    sa.UniqueConstraint('name', name=op.f('uq_catalog_items_name'))
    )
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_items_category_active', ['category_id', 'is_active'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_items_fulfilment_group_id'), ['fulfilment_group_id'], unique=False)

    op.create_table('catalog_form_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('variables', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_catalog_form_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_items.id'], name=op.f('fk_catalog_form_versions_item_id_catalog_items'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_form_versions')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_catalog_form_versions_item_id_number'))
    )
    op.create_table('catalog_item_groups',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_catalog_item_groups_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_items.id'], name=op.f('fk_catalog_item_groups_item_id_catalog_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'group_id', name=op.f('pk_catalog_item_groups'))
    )
    with op.batch_alter_table('catalog_item_groups', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_item_groups_group_id', ['group_id'], unique=False)

    op.create_table('service_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('close_code', sa.Enum('complete', 'incomplete', 'skipped', 'rejected', name='close_code', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.ForeignKeyConstraint(['id'], ['tickets.id'], name=op.f('fk_service_requests_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_requests'))
    )
    op.create_table('request_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('catalog_item_id', sa.Integer(), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('approval_plan', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('task_plan', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('approval_state', sa.Enum('not_required', 'requested', 'approved', 'rejected', 'canceled', name='approval_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('approval_level', sa.Integer(), nullable=True),
    sa.Column('fulfilment_stage', sa.Integer(), nullable=True),
    sa.Column('close_code', sa.Enum('complete', 'incomplete', 'skipped', 'rejected', name='close_code', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('close_notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['catalog_item_id'], ['catalog_items.id'], name=op.f('fk_request_items_catalog_item_id_catalog_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['form_version_id'], ['catalog_form_versions.id'], name=op.f('fk_request_items_form_version_id_catalog_form_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['id'], ['tickets.id'], name=op.f('fk_request_items_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['service_requests.id'], name=op.f('fk_request_items_request_id_service_requests'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_items'))
    )
    with op.batch_alter_table('request_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_items_catalog_item_id'), ['catalog_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_items_request_id'), ['request_id'], unique=False)

    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.Enum('anyone', 'everyone', 'majority', 'first_response', name='approval_rule', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('state', sa.Enum('not_required', 'requested', 'approved', 'rejected', 'canceled', name='approval_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], name=op.f('fk_approvals_approver_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_approvals_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['request_items.id'], name=op.f('fk_approvals_item_id_request_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals')),
    sa.UniqueConstraint('item_id', 'level', 'approver_id', name=op.f('uq_approvals_item_id_level_approver_id'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index('ix_approvals_approver_state', ['approver_id', 'state'], unique=False)
        batch_op.create_index('ix_approvals_state_requested', ['state', 'requested_at'], unique=False)

    op.create_table('catalog_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('hold_reason', sa.Enum('awaiting_caller', 'awaiting_vendor', 'awaiting_change', 'awaiting_problem', name='hold_reason', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('close_code', sa.Enum('complete', 'incomplete', 'skipped', 'rejected', name='close_code', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('close_notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['id'], ['tickets.id'], name=op.f('fk_catalog_tasks_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['request_items.id'], name=op.f('fk_catalog_tasks_item_id_request_items'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_tasks'))
    )
    with op.batch_alter_table('catalog_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_tasks_item_id'), ['item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('catalog_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_tasks_item_id'))

    op.drop_table('catalog_tasks')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index('ix_approvals_state_requested')
        batch_op.drop_index('ix_approvals_approver_state')

    op.drop_table('approvals')
    with op.batch_alter_table('request_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_items_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_items_catalog_item_id'))

    op.drop_table('request_items')
    op.drop_table('service_requests')
    with op.batch_alter_table('catalog_item_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_item_groups_group_id')

    op.drop_table('catalog_item_groups')
    op.drop_table('catalog_form_versions')
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_items_fulfilment_group_id'))
        batch_op.drop_index('ix_catalog_items_category_active')

    op.drop_table('catalog_items')
    with op.batch_alter_table('approval_delegations', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_delegations_delegator_ends')
        batch_op.drop_index('ix_approval_delegations_delegate_ends')

    op.drop_table('approval_delegations')
    op.drop_table('catalog_categories')
    op.drop_index('ix_tickets_opened_id_kind', table_name='tickets')
    op.execute(
        sa.text("DELETE FROM tickets WHERE kind IN ('request', 'request_item', 'catalog_task')")
    )
    _set_ticket_kinds(OLD_KINDS)
