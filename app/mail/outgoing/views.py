"""The administrators' mail outbox: every mail the desk composed, newest first, a mail's
headers and text, "Retry now" for a failed or dead one; and the outbox's other dead messages.
Views parse, load, call one service, commit and redirect."""

from __future__ import annotations

from email import message_from_bytes, policy

from flask import current_app, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.errors import Invalid, NotFound
from app.extensions import db
from app.filtering import ignored_note
from app.forms import refused, saved
from app.mail import permissions  # noqa: F401  (registers the rules)
from app.mail.blueprint import bp
from app.mail.outgoing import services
from app.mail.outgoing.delivery import SEND, message_bytes
from app.mail.outgoing.forms import ClearBounceForm, OutboxFilterForm, RetryForm
from app.mail.outgoing.models import MailAddress, MailState, OutboundMail
from app.outbox.models import OutboxMessage, OutboxState
from app.policy import require
from app.tickets.models import Ticket, TicketKind
from app.ui import page_args

DEAD_MESSAGES_SHOWN = 50


def ticket_endpoint(ticket: Ticket) -> str:
    """The page a ticket of this kind is worked on."""
    if ticket.kind == TicketKind.INCIDENT:
        return "incidents.detail"
    if ticket.kind == TicketKind.CATALOG_TASK:
        return "requests.task"
    return "requests.detail"  # a request, or an item (which leads to its request)


def get_mail(mail_id: int) -> OutboundMail:
    mail = db.session.scalar(
        select(OutboundMail)
        .where(OutboundMail.id == mail_id)
        .options(joinedload(OutboundMail.ticket), joinedload(OutboundMail.recipient))
    )
    if mail is None:
        raise NotFound(_("There is no mail with this id."))
    return mail


@bp.get("/outbox")
@require("mail.admin")
def outbox() -> ResponseReturnValue:
    form = OutboxFilterForm(request.args)
    if ignored := form.clean():
        flash(ignored_note(ignored), "warning")
    query = (
        select(OutboundMail)
        .options(joinedload(OutboundMail.ticket), joinedload(OutboundMail.recipient))
        .order_by(OutboundMail.id.desc())
    )
    if form.state.data:
        query = query.where(OutboundMail.state == MailState(form.state.data))
    page, per_page = page_args()
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    dead_messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.DEAD, OutboxMessage.kind != SEND)
        .order_by(OutboxMessage.id.desc())
        .limit(DEAD_MESSAGES_SHOWN)
    ).all()
    return render_template(
        "mail/outgoing/outbox.html",
        form=form,
        pagination=pagination,
        counts=services.count_by_state(),
        bouncing=_bouncing_among(pagination.items),
        dead_messages=dead_messages,
        sending=bool(current_app.config.get("SMTP_HOST")),
        ticket_endpoint=ticket_endpoint,
    )


def _bouncing_among(mails: list[OutboundMail]) -> set[str]:
    addresses = {mail.to_address for mail in mails}
    if not addresses:
        return set()
    return set(
        db.session.scalars(
            select(MailAddress.address).where(
                MailAddress.address.in_(addresses), MailAddress.bouncing
            )
        )
    )


def _bounce_of(mail: OutboundMail) -> MailAddress | None:
    return db.session.scalar(
        select(MailAddress).where(MailAddress.address == mail.to_address, MailAddress.bouncing)
    )


def _render_mail(mail: OutboundMail, status: int = 200) -> ResponseReturnValue:
    headers = message_from_bytes(message_bytes(mail), policy=policy.default).items()
    return render_template(
        "mail/outgoing/mail.html",
        mail=mail,
        headers=headers,
        bounce=_bounce_of(mail),
        retry_form=RetryForm(),
        clear_form=ClearBounceForm(),
        sending=bool(current_app.config.get("SMTP_HOST")),
        ticket_endpoint=ticket_endpoint,
    ), status


@bp.get("/outbox/<int:mail_id>")
@require("mail.admin")
def outbox_mail(mail_id: int) -> ResponseReturnValue:
    return _render_mail(get_mail(mail_id))


@bp.post("/outbox/<int:mail_id>/retry")
@require("mail.admin")
def outbox_retry(mail_id: int) -> ResponseReturnValue:
    mail = get_mail(mail_id)
    form = RetryForm()
    if not form.validate_on_submit():
        return _render_mail(mail, 400)
    here = url_for("mail.outbox_mail", mail_id=mail.id)
    try:
        form.consume(done=here)
        services.retry_mail(mail, actor=current_user)
    except Invalid as error:
        return refused(error, lambda: get_mail(mail_id), _render_mail)
    return saved(_("The mail is queued to be sent again; its state is below."), here)


@bp.post("/outbox/<int:mail_id>/clear-bounce")
@require("mail.admin")
def outbox_clear_bounce(mail_id: int) -> ResponseReturnValue:
    mail = get_mail(mail_id)
    if not ClearBounceForm().validate_on_submit():
        return _render_mail(mail, 400)
    entry = _bounce_of(mail)
    if entry is not None:  # a second click finds it cleared: nothing to do
        services.clear_bouncing(entry, actor=current_user)
    return saved(
        _(
            "%(address)s is not marked as bouncing any more: new mail to it is sent.",
            address=mail.to_address,
        ),
        url_for("mail.outbox_mail", mail_id=mail.id),
    )
