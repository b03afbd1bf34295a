"""Incidents link their CIs by id: incident_cis (incident_id, ci_name) -> (incident_id, ci_id).

A link by name detached silently when a CI was renamed. Each existing name is mapped to the
CIs of that name compared case-insensitively, as the matching always did (``lower()`` on both
sides, in the database); a name shared by CIs of several classes links all of them, as the
impact panel already read it.

Names with no CI are **kept**, not dropped: they go, one per line, into the new free-text column
``incidents.unlinked_ci_names``, which the incident page shows as "not in the CMDB"; the
migration logs how many names and incidents that concerned. A downgrade turns the links back
into names (the CIs' current names) and restores the kept names.

``ci_id`` references ``configuration_items`` ON DELETE CASCADE: CIs are retired rather than
deleted, and deleting one unlinks it from its incidents instead of refusing.

Routing rules too: ``routing_rules.ci_name`` becomes ``ci_id`` (ON DELETE CASCADE). A rule
whose name matches several CIs becomes one rule per CI at the same position; a rule whose name
matches no CI is **deleted** (and counted in the log): incidents can only be linked to CIs now,
so it could never match again, and clearing its CI would widen it to other incidents. SQLite
rebuilds ``routing_rules`` in batch mode, which is safe: no table references it.

``configuration_items.name_key`` (``lower(name)``, computed by the database and indexed) lets
lookups by name (the agent's new-incident form, the demo loader, the CI pickers) use an index
instead of ``lower()`` over an unindexed column. SQLite adds it as a VIRTUAL generated column
(ALTER TABLE cannot add a STORED one), PostgreSQL as STORED (it has no other kind before 18).

Revision ID: 5b8e2c4f7a19
Revises: c9e2f4a6b8d1
Create Date: 2026-12-06 07:30:00

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b8e2c4f7a19'
down_revision = 'c9e2f4a6b8d1'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

KEEP = 'unlinked_ci_names'
TMP = 'incident_cis_migrating'


def _name_key(persisted):
    return sa.Column('name_key', sa.String(200), sa.Computed('lower(name)', persisted=persisted))


def _keep_unmatched(bind):
    rows = bind.execute(sa.text(
        'SELECT ic.incident_id, ic.ci_name FROM incident_cis ic WHERE NOT EXISTS ('
        ' SELECT 1 FROM configuration_items ci WHERE lower(ci.name) = lower(ic.ci_name))'
        ' ORDER BY ic.incident_id, ic.ci_name'
    )).all()
    kept = {}
    for incident_id, name in rows:
        kept.setdefault(incident_id, []).append(name)
    for incident_id, names in kept.items():
        bind.execute(
            sa.text(f'UPDATE incidents SET {KEEP} = :names WHERE id = :id'),
            {'names': '\n'.join(names), 'id': incident_id},
        )
    if rows:
        log.warning(
            'incident_cis: %d name(s) on %d incident(s) match no CI; kept in incidents.%s',
            len(rows), len(kept), KEEP,
        )


def _rules_by_id(bind):
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ci_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_routing_rules_ci_id_configuration_items'), 'configuration_items',
            ['ci_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.create_index(batch_op.f('ix_routing_rules_ci_id'), ['ci_id'], unique=False)
    columns = 'position, category, subcategory, affected_service, group_id'
    dropped = 0
    for rule_id, name in bind.execute(sa.text(
        'SELECT id, ci_name FROM routing_rules WHERE ci_name IS NOT NULL ORDER BY id'
    )).all():
        ids = bind.execute(sa.text(
            'SELECT id FROM configuration_items WHERE lower(name) = lower(:n) ORDER BY id'
        ), {'n': name}).scalars().all()
        if not ids:
            bind.execute(sa.text('DELETE FROM routing_rules WHERE id = :r'), {'r': rule_id})
            dropped += 1
            continue
        bind.execute(
            sa.text('UPDATE routing_rules SET ci_id = :c WHERE id = :r'), {'c': ids[0], 'r': rule_id}
        )
        for ci_id in ids[1:]:
            bind.execute(sa.text(
                f'INSERT INTO routing_rules ({columns}, ci_id)'
                f' SELECT {columns}, :c FROM routing_rules WHERE id = :r'
            ), {'c': ci_id, 'r': rule_id})
    if dropped:
        log.warning('routing_rules: %d rule(s) named a CI that does not exist; deleted', dropped)
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_column('ci_name')


def _rules_by_name(bind):
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ci_name', sa.String(length=200), nullable=True))
    bind.execute(sa.text(
        'UPDATE routing_rules SET ci_name = (SELECT name FROM configuration_items ci'
        ' WHERE ci.id = routing_rules.ci_id) WHERE ci_id IS NOT NULL'
    ))
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_ci_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_routing_rules_ci_id_configuration_items'), type_='foreignkey'
        )
        batch_op.drop_column('ci_id')


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    op.add_column('configuration_items', _name_key(None if sqlite else True))
    op.create_index(
        op.f('ix_configuration_items_name_key'), 'configuration_items', ['name_key']
    )
    op.add_column('incidents', sa.Column(KEEP, sa.Text(), nullable=True))
    _rules_by_id(bind)

    op.create_table(TMP, sa.Column('incident_id', sa.Integer()), sa.Column('ci_id', sa.Integer()))
    bind.execute(sa.text(
        f'INSERT INTO {TMP} (incident_id, ci_id) SELECT DISTINCT ic.incident_id, ci.id'
        ' FROM incident_cis ic JOIN configuration_items ci ON lower(ci.name) = lower(ic.ci_name)'
    ))
    _keep_unmatched(bind)

    with op.batch_alter_table('incident_cis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_cis_ci_name'))
    op.drop_table('incident_cis')
    op.create_table(
        'incident_cis',
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('ci_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['incident_id'], ['incidents.id'],
            name=op.f('fk_incident_cis_incident_id_incidents'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['ci_id'], ['configuration_items.id'],
            name=op.f('fk_incident_cis_ci_id_configuration_items'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('incident_id', 'ci_id', name=op.f('pk_incident_cis')),
    )
    op.create_index(op.f('ix_incident_cis_ci_id'), 'incident_cis', ['ci_id'])
    bind.execute(sa.text(
        f'INSERT INTO incident_cis (incident_id, ci_id) SELECT incident_id, ci_id FROM {TMP}'
    ))
    op.drop_table(TMP)


def downgrade():
    bind = op.get_bind()
    op.create_table(
        TMP, sa.Column('incident_id', sa.Integer()), sa.Column('ci_name', sa.String(200))
    )
    bind.execute(sa.text(
        f'INSERT INTO {TMP} (incident_id, ci_name) SELECT DISTINCT ic.incident_id, ci.name'
        ' FROM incident_cis ic JOIN configuration_items ci ON ci.id = ic.ci_id'
    ))
    for incident_id, kept in bind.execute(
        sa.text(f'SELECT id, {KEEP} FROM incidents WHERE {KEEP} IS NOT NULL')
    ).all():
        for name in dict.fromkeys(n.strip() for n in kept.splitlines() if n.strip()):
            bind.execute(
                sa.text(f'INSERT INTO {TMP} (incident_id, ci_name) VALUES (:i, :n)'),
                {'i': incident_id, 'n': name[:200]},
            )

    op.drop_index(op.f('ix_incident_cis_ci_id'), table_name='incident_cis')
    op.drop_table('incident_cis')
    op.create_table(
        'incident_cis',
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('ci_name', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ['incident_id'], ['incidents.id'],
            name=op.f('fk_incident_cis_incident_id_incidents'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('incident_id', 'ci_name', name=op.f('pk_incident_cis')),
    )
    with op.batch_alter_table('incident_cis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_cis_ci_name'), ['ci_name'], unique=False)
    # Two CIs of one name (several classes) linked to one incident are one name again.
    bind.execute(sa.text(
        f'INSERT INTO incident_cis (incident_id, ci_name)'
        f' SELECT DISTINCT incident_id, ci_name FROM {TMP}'
    ))
    op.drop_table(TMP)

    _rules_by_name(bind)
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a copy of the tables.
    with op.batch_alter_table('incidents', schema=None, recreate='never') as batch_op:
        batch_op.drop_column(KEEP)
    op.drop_index(op.f('ix_configuration_items_name_key'), table_name='configuration_items')
    with op.batch_alter_table('configuration_items', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('name_key')
