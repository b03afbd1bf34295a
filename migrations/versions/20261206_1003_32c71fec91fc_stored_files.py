"""The shared file store: ``stored_files`` holds each blob's bytes (or says they are in the
directory), and every attachment's ``storage_key`` names its blob.

Carried forward: each existing attachment gets a blob row that says its file is in the
directory (where it has been so far), so nothing moves during the upgrade and every file stays
readable; ``flask attachments migrate --to database`` moves the bytes afterwards. Files staged
for a CMDB import under ``instance/cmdb-imports`` are not carried (they expire within a day:
upload again).

Attachments of the same content now share one blob (``storage_key`` is no longer unique, and
is indexed for the foreign key).

The downgrade refuses while any blob is in the database, since the old schema has nowhere to
keep its bytes (run ``flask attachments migrate --to directory`` first), or while attachments
share a blob, since the old schema needs a file per attachment.

Revision ID: 32c71fec91fc
Revises: c3b83b7182a2
Create Date: 2026-12-06 10:03:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '32c71fec91fc'
down_revision = 'c3b83b7182a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_files',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('location', sa.Enum('database', 'directory', name='stored_file_location', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_files'))
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index('ix_stored_files_expires_at', ['expires_at'], unique=False)
        batch_op.create_index('ix_stored_files_sha256', ['sha256'], unique=False)

    op.execute(
        "INSERT INTO stored_files (key, location, size, sha256, data, created_at, expires_at)"
        " SELECT storage_key, 'directory', size, sha256, NULL, created_at, NULL FROM attachments"
    )

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attachments_storage_key'), type_='unique')
        batch_op.create_index(batch_op.f('ix_attachments_storage_key'), ['storage_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachments_storage_key_stored_files'), 'stored_files', ['storage_key'], ['key'], ondelete='RESTRICT')


def downgrade():
    in_database = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM stored_files WHERE location = 'database'")
    )
    if in_database:
        raise RuntimeError(
            f"{in_database} stored file(s) are in the database: run "
            "`flask attachments migrate --to directory` before this downgrade."
        )
    shared = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT storage_key FROM attachments"
            " GROUP BY storage_key HAVING count(*) > 1) AS shared"
        )
    )
    if shared:
        raise RuntimeError(
            f"{shared} stored file(s) are shared by several attachments (the same content"
            " uploaded again); the old schema needs one file per attachment."
        )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachments_storage_key_stored_files'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachments_storage_key'))
        batch_op.create_unique_constraint(batch_op.f('uq_attachments_storage_key'), ['storage_key'])

    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_files_sha256')
        batch_op.drop_index('ix_stored_files_expires_at')

    op.drop_table('stored_files')
