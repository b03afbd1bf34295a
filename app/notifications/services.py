"""Notifications: the fan-out after commit, reading and marking them, the admins' settings and
each person's preferences. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import CursorResult, Select, delete, func, select, update
from sqlalchemy.orm import selectinload

from app.auth.models import Group, User
from app.db import bulk
from app.errors import NotFound
from app.extensions import db
from app.i18n.locale import SOURCE_LANGUAGE
from app.notifications import mailing, rules
from app.notifications.headlines import summary
from app.notifications.hooks import FAN_OUT
from app.notifications.models import KindSetting, MailState, Notification, Preference
from app.notifications.people import parties_of
from app.outbox import handler
from app.tickets.models import JournalEntry, Ticket, TicketEvent
from app.timeutils import utc_now


@dataclass(frozen=True)
class KindConfig:
    """A kind as the admins set it (their row, else the defaults of ``rules.KINDS``)."""

    kind: rules.Kind
    enabled: bool
    mandatory: bool
    mail: bool
    in_app: bool

    @property
    def defaults(self) -> dict[str, bool]:
        return {rules.MAIL: self.mail, rules.IN_APP: self.in_app}


def kind_configs() -> dict[str, KindConfig]:
    """Every kind's settings, in the order of ``rules.KINDS`` (one query)."""
    rows = {row.kind: row for row in db.session.scalars(select(KindSetting))}
    configs = {}
    for name, kind in rules.KINDS.items():
        row = rows.get(name)
        configs[name] = KindConfig(
            kind,
            enabled=row.enabled if row else kind.enabled,
            mandatory=row.mandatory if row else kind.mandatory,
            mail=row.mail if row else kind.mail,
            in_app=row.in_app if row else kind.in_app,
        )
    return configs


SETTING_FIELDS = ("enabled", "mandatory", "mail", "in_app")


def save_kind_settings(values: Mapping[str, Mapping[str, bool]]) -> None:
    """Store the admins' choice per kind (``{kind: {enabled, mandatory, mail, in_app}}``;
    unknown kinds are ignored)."""
    rows = {row.kind: row for row in db.session.scalars(select(KindSetting))}
    for name in rules.KINDS:
        chosen = values.get(name, {})
        row = rows.get(name) or KindSetting(kind=name)
        row.enabled = bool(chosen.get("enabled"))
        row.mandatory = bool(chosen.get("mandatory"))
        row.mail = bool(chosen.get("mail"))
        row.in_app = bool(chosen.get("in_app"))
        db.session.add(row)
    db.session.flush()


def preferences_of(user_ids: Iterable[int]) -> dict[int, dict[str, dict[str, bool]]]:
    """``{user id: {kind: {channel: on}}}`` for the choices these people made (one query)."""
    ids = list(set(user_ids))
    found: dict[int, dict[str, dict[str, bool]]] = {i: {} for i in ids}
    if ids:
        for row in db.session.scalars(select(Preference).where(Preference.user_id.in_(ids))):
            found[row.user_id].setdefault(row.kind, {})[row.channel] = row.enabled
    return found


def configs_for(user: Any) -> dict[str, KindConfig]:
    """The settings of the kinds ``user`` may hear (by role) that are switched on."""
    configs = kind_configs()
    return {
        name: configs[name]
        for name in rules.kinds_for(role.value for role in user.roles)
        if configs[name].enabled
    }


def effective_channels(user: Any) -> dict[str, dict[str, bool]]:
    """What ``user`` gets per kind and channel (the preferences page shows it)."""
    chosen = preferences_of([user.id])[user.id]
    return {
        name: _channels(config, chosen.get(name, {})) for name, config in configs_for(user).items()
    }


def _channels(config: KindConfig, chosen: Mapping[str, bool]) -> dict[str, bool]:
    return rules.decide(
        config.kind.name,
        enabled=config.enabled,
        mandatory=config.mandatory,
        defaults=config.defaults,
        chosen=chosen,
        digestible=config.kind.digestible,
    )


def save_preferences(user: Any, checked: Iterable[str]) -> None:
    """Store every choice of the preferences form, where ``checked`` holds the names of the
    boxes the browser sent (``<kind>.<channel>``): an absent box is a channel turned off.
    Mandatory kinds, kinds switched off and kinds the page does not show the person (not
    for their roles) are left as they are."""
    on = set(checked)
    configs = configs_for(user)
    rows = {
        (row.kind, row.channel): row
        for row in db.session.scalars(select(Preference).where(Preference.user_id == user.id))
    }
    for name, config in configs.items():
        if config.mandatory:
            continue
        channels = list(rules.CHANNELS) + ([rules.DIGEST] if config.kind.digestible else [])
        for channel in channels:
            row = rows.get((name, channel)) or Preference(
                user_id=user.id, kind=name, channel=channel
            )
            row.enabled = f"{name}.{channel}" in on
            db.session.add(row)
    db.session.flush()


@handler(FAN_OUT)
def _deliver_fan_out(payload: dict[str, Any]) -> None:
    fan_out([int(i) for i in payload.get("events", [])])


def fan_out(event_ids: Sequence[int]) -> list[Notification]:
    """Tell everyone who must hear of these events (after their commit): the rules pick the
    people, the admins' settings and each person's preferences the channels; a notification
    row per (event, person, kind) that does not exist yet, and its mail queued (or left for
    the digest). Idempotent: run again, it adds nothing."""
    events = list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.id.in_(event_ids)).order_by(TicketEvent.id)
        )
    )
    if not events:
        return []
    existing = set(
        db.session.execute(
            select(Notification.event_id, Notification.recipient_id, Notification.kind).where(
                Notification.event_id.in_([e.id for e in events])
            )
        ).all()
    )
    by_ticket: dict[int, list[TicketEvent]] = {}
    for event in events:
        by_ticket.setdefault(event.ticket_id, []).append(event)
    wanted: list[tuple[TicketEvent, Ticket, int, str]] = []
    for ticket_id, ticket_events in by_ticket.items():
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None:
            continue
        parties = parties_of(ticket, ticket_events)
        for event in ticket_events:
            facts = rules.Event(event.type, event.actor_id, event.data or {})
            for person, kind in rules.recipients(facts, parties).items():
                if (event.id, person, kind) not in existing:
                    wanted.append((event, ticket, person, kind))
    if not wanted:
        return []
    recipients = select(User).where(User.id.in_({w[2] for w in wanted}))
    people = {u.id: u for u in db.session.scalars(recipients)}
    configs = kind_configs()
    chosen = preferences_of(people)
    held = _load_once(events)  # noqa: F841  (kept referenced: the session's identity map is weak)
    actors = _names({e.actor_id for e in events if e.actor_id})
    created: list[Notification] = []
    for event, ticket, person, kind in wanted:
        user = people.get(person)
        if user is None or not user.is_active:
            continue
        channels = _channels(configs[kind], chosen[person].get(kind, {}))
        if not any(channels.values()):
            continue
        mail = MailState.NONE
        if channels[rules.MAIL] or channels[rules.DIGEST]:
            mail = MailState.DIGEST if channels[rules.DIGEST] else MailState.QUEUED
            if not user.email:
                mail = MailState.NO_ADDRESS
        note = Notification(
            event_id=event.id,
            ticket_id=ticket.id,
            recipient_id=person,
            kind=kind,
            summary=stored_summary(
                kind, ticket, event, actors.get(event.actor_id or 0, "Deskgraph")
            ),
            in_app=channels[rules.IN_APP],
            mail=mail,
            created_at=event.created_at,
        )
        db.session.add(note)
        created.append(note)
    db.session.flush()
    for note in created:
        if note.mail == MailState.QUEUED:
            mailing.mail_notification(note)
    return created


def _load_once(events: Sequence[TicketEvent]) -> list[Any]:
    """The journal entries and groups the events name, read in two queries and held while the
    rows and mails are written (each is then found in the session instead of read again)."""
    entry_ids = {e.data.get("entry_id") for e in events if e.data and e.data.get("entry_id")}
    group_ids = {e.data.get("group_id") for e in events if e.data and e.data.get("group_id")}
    held: list[Any] = []
    if entry_ids:
        entries = select(JournalEntry).where(JournalEntry.id.in_(entry_ids))
        held += db.session.scalars(entries)
    if group_ids:
        groups = select(Group).where(Group.id.in_(group_ids))
        held += db.session.scalars(groups)
    return held


def _names(user_ids: Iterable[int]) -> dict[int, str]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {ident: name for ident, name in rows}


def stored_summary(kind: str, ticket: Ticket, event: TicketEvent, actor: str) -> str:
    """The line kept on the row: English, whoever's page the fan-out runs in (each reader
    sees :func:`app.notifications.headlines.headline` in their language)."""
    with force_locale(SOURCE_LANGUAGE):
        return summary(kind, ticket, event, actor)


def unread_query(user: Any) -> Select[int]:
    """The bell's number: unread notifications in the app (one indexed count)."""
    return select(func.count()).where(
        Notification.recipient_id == user.id,
        Notification.in_app.is_(True),
        Notification.read_at.is_(None),
    )


def unread_count(user: Any) -> int:
    """The bell's number, read on its own (the API's "mark read" answer)."""
    return db.session.scalar(unread_query(user)) or 0


def notifications_query(user: Any, *, unread_only: bool = False) -> Select[Notification]:
    """A person's notifications in the app, newest first (``unread_only``: the bell's)."""
    query = select(Notification).where(
        Notification.recipient_id == user.id, Notification.in_app.is_(True)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def notifications_of(user: Any, *, page: int, per_page: int) -> Any:
    """One page (a Flask-SQLAlchemy pagination) of a person's notifications in the app,
    newest first."""
    query = notifications_query(user).options(selectinload(Notification.event))  # headlines
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def open_notification(user: Any, notification_id: int, now: datetime | None = None) -> Notification:
    """Mark one of ``user``'s notifications read (again: no change).

    :raise NotFound: no such notification of this person.
    """
    note = db.session.get(Notification, notification_id)
    if note is None or note.recipient_id != user.id:
        raise NotFound(_("There is no such notification."))
    if note.read_at is None:
        note.read_at = now or utc_now()
        db.session.flush()
    return note


def mark_all_read(user: Any, now: datetime | None = None) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    done = cast(
        CursorResult[Any],
        db.session.execute(
            update(Notification)
            .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
            .values(read_at=now or utc_now())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.flush()
    return int(done or 0)


def purge_read(before: datetime) -> int:
    """Delete the notifications created before ``before`` that their person has read (one
    still waiting for a digest stays); how many went. Unread ones stay whatever their age:
    the bell counts them."""
    return bulk(
        db.session,
        delete(Notification).where(
            Notification.created_at < before,
            Notification.read_at.is_not(None),
            Notification.mail != MailState.DIGEST,
        ),
    )
