"""Command-line tools: ``flask users ...`` and ``flask deskgraph ...``.

Commands call the same services as the views and commit once at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from app.auth import services
from app.auth.directory.cli import ldap_cli
from app.auth.models import Role
from app.errors import Invalid
from app.extensions import db

users_cli = AppGroup("users", help="Manage local accounts.")
deskgraph_cli = AppGroup("deskgraph", help="Set up and look after this desk.")
demo_cli = AppGroup("demo", help="The demo organisation.")
deskgraph_cli.add_command(demo_cli)


def _fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


@users_cli.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--display-name", default="Administrator", show_default=True)
@click.option("--email", default=None)
@click.password_option(
    "--password",
    envvar="DESKGRAPH_ADMIN_PASSWORD",
    help="Prompted for when absent (or read from DESKGRAPH_ADMIN_PASSWORD).",
)
def create_admin(username: str, display_name: str, email: str | None, password: str) -> None:
    """Create a local administrator account (the first admin, or one for a site without a
    directory)."""
    try:
        user = services.create_local_user(
            username=username,
            display_name=display_name,
            password=password,
            roles=(Role.ADMIN, Role.EMPLOYEE),
            email=email,
        )
    except Invalid as error:
        _fail("; ".join(m for messages in error.field_errors.values() for m in messages))
    db.session.commit()
    click.echo(f"Administrator {user.username!r} created. Sign in at /login.")


@users_cli.command("grant-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def grant_role(username: str, role: str) -> None:
    """Grant a role to an existing person (e.g. give back admin to someone locked out)."""
    user = services.get_user_by_username(username)
    if user is None:
        _fail(f"No person has the username {username!r}.")
    from app.auth.models import GrantSource

    local = user.roles_from(GrantSource.LOCAL) | {Role(role)}
    services.set_local_roles(user, local, actor=user)
    db.session.commit()
    click.echo(f"{user.username} now holds: {', '.join(sorted(r.value for r in user.roles))}.")


def purge(now: datetime, config: Mapping[str, Any]) -> list[tuple[str, int]]:
    """Run every domain's purge in the session's transaction (the caller commits or rolls
    back); what each removed, in the words ``flask deskgraph purge`` prints."""
    from app import files, submissions
    from app.mail.incoming.mailboxes import purge_raw
    from app.notifications.services import purge_read
    from app.outbox.services import purge_done
    from app.webhooks.services import purge_deliveries

    def days(name: str) -> datetime:
        return now - timedelta(days=int(config[name]))

    return [
        ("delivered outbox messages", purge_done(days("PURGE_OUTBOX_DAYS"))),
        ("used form tokens", submissions.purge_used(days("PURGE_SUBMISSIONS_DAYS"))),
        ("read notifications", purge_read(days("PURGE_NOTIFICATIONS_DAYS"))),
        ("ignored mails' bytes", purge_raw(days("PURGE_MAIL_DAYS"))),
        ("expired staged files", files.purge_expired(now)),
        ("sent webhook deliveries", purge_deliveries(days("PURGE_WEBHOOK_DELIVERIES_DAYS"))),
    ]


@deskgraph_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Delete what is no longer needed (run it daily from cron): delivered outbox messages,
    used form tokens, read notifications, the bytes of ignored mails, expired staged files,
    sent or given-up webhook deliveries. The DESKGRAPH_PURGE_*_DAYS and
    MAIL_PURGE_IGNORED_DAYS settings say how long each stays."""
    from flask import current_app

    from app.ops.periodic import run_once
    from app.timeutils import utc_now

    if dry_run:
        counts = purge(utc_now(), current_app.config)
        db.session.rollback()
    else:

        def purge_and_commit() -> list[tuple[str, int]]:
            done = purge(utc_now(), current_app.config)
            db.session.commit()
            return done

        ran, purged = run_once("deskgraph.purge", purge_and_commit)
        if not ran:
            click.echo("Another node is purging right now; skipped.")
            return
        counts = purged or []
    verb = "would be purged" if dry_run else "purged"
    for what, count in counts:
        click.echo(f"{count} {what} {verb}")


WORKER_QUEUES = ("outbox", "sla")  # the outbox's deliveries first: people wait for them


@deskgraph_cli.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Run what is queued, then stop.")
@click.option(
    "--fork",
    is_flag=True,
    help="Run each job in a forked child, as `rq worker` does (slower: see docs/deploy.md).",
)
def worker_command(queues: tuple[str, ...], burst: bool, fork: bool) -> None:
    """One RQ worker for every background queue (the outbox's deliveries, then the SLA
    ticks), or for the QUEUES named. Jobs run in this process's application, built once (a
    plain `rq worker` builds one per job), each in an application context of its own (its
    own database session); RQ's job timeout still applies (SIGALRM). With --fork each job
    runs in a child forked for it, which loads again everything the job loads lazily and
    opens its own database connection. Needs REDIS_URL."""
    from flask import current_app
    from redis import Redis
    from rq import SimpleWorker, Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: background work runs inline.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    class AppContextWorker(SimpleWorker):
        def perform_job(self, *args: Any, **kwargs: Any) -> bool:
            with app.app_context():  # a fresh session per job, removed (and rolled back) after
                return bool(super().perform_job(*args, **kwargs))

    db.engine.dispose()  # no connection of this process is shared with a forked child
    worker_class = Worker if fork else AppContextWorker
    worker_class(list(queues or WORKER_QUEUES), connection=Redis.from_url(url)).work(burst=burst)


@deskgraph_cli.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor_command(as_json: bool) -> None:
    """Check this deployment: database and its clock, migrations, secret key, Redis and its
    workers, SMTP, the directory, the attachment store, the outbox, the SLA scheduler. Exits
    with status 1 when a check fails. Changes nothing."""
    import json

    from flask import current_app

    from app.doctor import FAIL, as_dict, run_checks

    findings = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]
    if as_json:
        click.echo(json.dumps([as_dict(f) for f in findings], indent=2))
    else:
        width = max(len(f.name) for f in findings)
        for f in findings:
            click.echo(f"{f.status.upper():4}  {f.name:<{width}}  {f.detail}")
    if any(f.status == FAIL for f in findings):
        raise SystemExit(1)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo organisation, CMDB, incidents, SLA and catalog. Safe to run again."""
    from app.demo import load_demo
    from app.timeutils import utc_now

    loaded = load_demo(utc_now())
    db.session.commit()
    report, cmdb, sla = loaded.organisation, loaded.cmdb, loaded.sla
    click.echo(
        f"Demo organisation: {report.people_added} people and {report.groups_added} groups added."
    )
    click.echo(
        f"Demo CMDB: {cmdb.cis_added} configuration items and {cmdb.relations_added} "
        "relations added."
    )
    click.echo(f"Demo incidents: {loaded.incidents} added.")
    click.echo(
        f"Demo SLA: {sla.calendars_added} calendars and {sla.policies_added} policies added."
    )
    click.echo(
        f"Demo catalog: {loaded.catalog.items_added} items added; "
        f"{loaded.requests} demo requests added."
    )
    click.echo(f"Demo knowledge: {loaded.kb} articles added.")
    click.echo("Demo sign-ins (username / password — roles):")
    width = max((len(username) for username, _, _ in report.credentials), default=0)
    for username, password, roles in report.credentials:
        click.echo(f"  {username:<{width}} / {password}  — {roles}")


def register_commands(app: Flask) -> None:
    from app.cmdb.cli import cmdb_cli
    from app.incidents.cli import incidents_cli
    from app.outbox.cli import outbox_cli
    from app.reports.rollups.cli import reports_cli
    from app.requests.cli import requests_cli
    from app.sla.cli import sla_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(deskgraph_cli)
    app.cli.add_command(incidents_cli)
    app.cli.add_command(ldap_cli)
    app.cli.add_command(sla_cli)
    app.cli.add_command(requests_cli)
    app.cli.add_command(cmdb_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(reports_cli)
