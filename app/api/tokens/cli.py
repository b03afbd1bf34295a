"""``flask api ...``: tokens and service accounts for automation (the token is printed once)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.api.tokens import services
from app.auth.models import Role
from app.auth.services import get_user_by_username
from app.errors import Invalid
from app.extensions import db

api_cli = AppGroup("api", help="API tokens and service accounts.")
token_cli = AppGroup("token", help="Personal access tokens.")
account_cli = AppGroup("service-account", help="Accounts of integrations.")
api_cli.add_command(token_cli)
api_cli.add_command(account_cli)


def _refused(error: Invalid) -> click.ClickException:
    db.session.rollback()
    details = "; ".join(f"{f}: {' '.join(m)}" for f, m in error.field_errors.items())
    return click.ClickException(details or error.message)


@token_cli.command("create")
@click.argument("username")
@click.option("--name", required=True, help="Where the token is used.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="AREA:read or AREA:write (repeat it); * for every area. Default: *:read and *:write.",
)
@click.option("--expires", "days", type=int, default=None, help="Days until it expires.")
def create_token(username: str, name: str, scopes: tuple[str, ...], days: int | None) -> None:
    """Make a token for USERNAME and print it (the only time it is shown)."""
    user = get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"No person has the username {username!r}.")
    try:
        made = services.create_token(user, name=name, scopes=scopes, expires_days=days)
    except Invalid as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(made.secret)


@token_cli.command("revoke")
@click.argument("lookup")
def revoke_token(lookup: str) -> None:
    """Revoke the token whose public part (dg_LOOKUP_...) is LOOKUP."""
    from sqlalchemy import select

    from app.api.tokens.models import ApiToken
    from app.timeutils import utc_now

    token = db.session.scalar(select(ApiToken).where(ApiToken.lookup == lookup))
    if token is None:
        raise click.ClickException("No token has this lookup.")
    if token.revoked_at is None:
        token.revoked_at = utc_now()
    db.session.commit()
    click.echo(f"Token {token.name!r} of {token.user.username} is revoked.")


@account_cli.command("create")
@click.argument("username")
@click.option("--display-name", default=None)
@click.option(
    "--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]), required=True
)
@click.option("--description", default="")
def create_service_account(
    username: str, display_name: str | None, roles: tuple[str, ...], description: str
) -> None:
    """An account for an integration: roles like a person, no password, tokens only."""
    try:
        user = services.create_service_account(
            username=username,
            display_name=display_name or username,
            roles=[Role(r) for r in roles],
            description=description,
        )
    except Invalid as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(
        f"Service account {user.username!r} created; make its token with "
        f"`flask api token create {user.username} --name ...`."
    )
