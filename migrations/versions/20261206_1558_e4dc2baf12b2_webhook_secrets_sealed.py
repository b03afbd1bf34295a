"""Webhook secrets sealed at rest (``sealed_secret``, Fernet under a key derived from
``DESKGRAPH_WEBHOOK_SECRETS_KEY`` or ``SECRET_KEY``: ``app/webhooks/sealing.py``), and an index
on the deliveries' age for their purge (issue 18, webhooks).

The upgrade seals every existing secret with the running application's key and drops the
clear column; the downgrade unseals them back (with the same key).

Revision ID: e4dc2baf12b2
Revises: 5e1c7a9b3d42
Create Date: 2026-12-06 15:58:00

"""
from alembic import op
import sqlalchemy as sa

revision = "e4dc2baf12b2"
down_revision = "5e1c7a9b3d42"
branch_labels = None
depends_on = None

SUBSCRIPTIONS = sa.table(
    "webhook_subscriptions",
    sa.column("id", sa.Integer),
    sa.column("secret", sa.String),
    sa.column("sealed_secret", sa.String),
)


def _key() -> str:
    from flask import current_app

    return current_app.config.get("WEBHOOK_SECRETS_KEY") or current_app.config["SECRET_KEY"]


def _rewrite(source: str, target: str, change) -> None:
    """Set each subscription's ``target`` to ``change(source, key)``."""
    connection = op.get_bind()
    key = _key()
    rows = connection.execute(sa.select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c[source])).all()
    for ident, value in rows:
        connection.execute(
            SUBSCRIPTIONS.update()
            .where(SUBSCRIPTIONS.c.id == ident)
            .values({target: change(value, key)})
        )


def upgrade():
    from app.webhooks.sealing import seal

    with op.batch_alter_table("webhook_subscriptions") as batch_op:
        batch_op.add_column(sa.Column("sealed_secret", sa.String(length=500), nullable=True))
    _rewrite("secret", "sealed_secret", seal)
    with op.batch_alter_table("webhook_subscriptions") as batch_op:
        batch_op.alter_column("sealed_secret", existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column("secret")
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.create_index("ix_webhook_deliveries_created_at", ["created_at"], unique=False)


def downgrade():
    from app.webhooks.sealing import unseal

    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_created_at")
    with op.batch_alter_table("webhook_subscriptions") as batch_op:
        batch_op.add_column(sa.Column("secret", sa.String(length=100), nullable=True))
    _rewrite("sealed_secret", "secret", unseal)
    with op.batch_alter_table("webhook_subscriptions") as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_column("sealed_secret")
