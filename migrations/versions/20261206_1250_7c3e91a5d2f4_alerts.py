"""Monitoring alerts: their sources, the alerts (one row per source and fingerprint) and the
open groups that give each root CI one incident (app/alerts).

New tables only; nothing to carry forward.

Revision ID: 7c3e91a5d2f4
Revises: 7c1a9e3b5d20
Create Date: 2026-12-06 12:50:43.546789

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '7c3e91a5d2f4'
down_revision = "7c1a9e3b5d20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('ci_label', sa.String(length=100), nullable=True),
    sa.Column('auto_resolve', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('damping_seconds', sa.Integer(), server_default='300', nullable=False),
    sa.Column('group_window_seconds', sa.Integer(), server_default='600', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_alert_sources_name'))
    )
    op.create_table('alert_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('open_key', sa.String(length=80), nullable=True),
    sa.Column('root_ci_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alert_groups_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['root_ci_id'], ['configuration_items.id'], name=op.f('fk_alert_groups_root_ci_id_configuration_items'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_groups')),
    sa.UniqueConstraint('open_key', name='uq_alert_groups_open_key')
    )
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_groups_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_groups_root_ci_id'), ['root_ci_id'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('status', sa.Enum('firing', 'resolved', name='alert_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('labels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('ci_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('flap_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ci_id'], ['configuration_items.id'], name=op.f('fk_alerts_ci_id_configuration_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['alert_groups.id'], name=op.f('fk_alerts_group_id_alert_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alerts_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['alert_sources.id'], name=op.f('fk_alerts_source_id_alert_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('source_id', 'fingerprint', name='uq_alerts_source_id_fingerprint')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_ci_id'), ['ci_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_alerts_status_last_seen_at', ['status', 'last_seen_at'], unique=False)



def downgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status_last_seen_at')
        batch_op.drop_index(batch_op.f('ix_alerts_incident_id'))
        batch_op.drop_index(batch_op.f('ix_alerts_group_id'))
        batch_op.drop_index(batch_op.f('ix_alerts_ci_id'))

    op.drop_table('alerts')
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_groups_root_ci_id'))
        batch_op.drop_index(batch_op.f('ix_alert_groups_incident_id'))

    op.drop_table('alert_groups')
    op.drop_table('alert_sources')
