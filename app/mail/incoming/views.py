"""Administrators' pages of mail in: the mailboxes (list, create, edit) and the quarantine
(messages ignored or quarantined, with the reason; download, process again, dismiss)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.auth.models import Group
from app.errors import Conflict, NotFound
from app.extensions import db
from app.forms import commit_or_errors, refused, saved
from app.mail.blueprint import bp
from app.mail.incoming import intake, mailboxes
from app.mail.incoming.forms import MailboxForm, MessageActionForm
from app.mail.incoming.models import Mailbox, MessageState
from app.policy import require
from app.ui import page_args


def _group_choices(form: MailboxForm) -> None:
    groups = db.session.scalars(
        select(Group).where(Group.is_assignment_group.is_(True)).order_by(Group.name)
    )
    form.assignment_group_id.choices = [
        SelectChoice("", "Routing rules decide"),
        *(SelectChoice(str(g.id), g.name) for g in groups),
    ]


def _values(form: MailboxForm) -> dict[str, Any]:
    group = form.assignment_group_id.data
    return {
        "name": form.name.data.strip(),
        "address": form.address.data,
        "active": form.active.data,
        "assignment_group_id": int(group) if group and group.isdecimal() else None,
        "category": (form.category.data or "").strip() or None,
        "impact": int(form.impact.data),
        "urgency": int(form.urgency.data),
        "unknown_senders": form.unknown_senders.data,
        "imap_host": (form.imap_host.data or "").strip() or None,
        "imap_port": form.imap_port.data,
        "imap_security": form.imap_security.data,
        "imap_username": (form.imap_username.data or "").strip() or None,
        "imap_folder": form.imap_folder.data.strip(),
        "processed_folder": form.processed_folder.data.strip(),
        "poll_seconds": form.poll_seconds.data,
    }


def _get_mailbox(mailbox_id: int) -> Mailbox:
    found = db.session.get(Mailbox, mailbox_id)
    if found is None:
        raise NotFound(_("There is no such mailbox."))
    return found


@bp.get("/mailboxes")
@require("mail.admin")
def mailboxes_page() -> ResponseReturnValue:
    rows = db.session.scalars(select(Mailbox).order_by(Mailbox.name)).all()
    return render_template("mail/incoming/mailboxes.html", mailboxes=rows)


@bp.route("/mailboxes/new", methods=["GET", "POST"])
@require("mail.admin")
def new_mailbox() -> ResponseReturnValue:
    form = MailboxForm()
    _group_choices(form)
    if form.validate_on_submit() and commit_or_errors(
        form,
        lambda: mailboxes.save_mailbox(
            None, actor=current_user, values=_values(form), password=form.imap_password.data
        ),
    ):
        flash(_("Mailbox %(name)s created.", name=form.name.data), "success")
        return redirect(url_for("mail.mailboxes_page"))
    status = 422 if form.is_submitted() else 200
    return render_template("mail/incoming/mailbox.html", form=form, mailbox=None), status


def _stored_form(mailbox: Mailbox) -> MailboxForm:
    """The edit form showing the mailbox as stored (never its password)."""
    form = MailboxForm(obj=mailbox, formdata=None)
    _group_choices(form)
    form.assignment_group_id.data = str(mailbox.assignment_group_id or "")
    form.impact.data, form.urgency.data = str(mailbox.impact), str(mailbox.urgency)
    form.version.data = str(mailbox.version)
    form.imap_password.data = ""
    return form


def _render_mailbox(mailbox: Mailbox, form: MailboxForm, status: int) -> ResponseReturnValue:
    return render_template("mail/incoming/mailbox.html", form=form, mailbox=mailbox), status


@bp.route("/mailboxes/<int:mailbox_id>", methods=["GET", "POST"])
@require("mail.admin")
def edit_mailbox(mailbox_id: int) -> ResponseReturnValue:
    """Edit a mailbox; an edit of an older version is refused (409) with the stored values."""
    mailbox = _get_mailbox(mailbox_id)
    if request.method == "GET":
        return _render_mailbox(mailbox, _stored_form(mailbox), 200)
    form = MailboxForm()
    _group_choices(form)
    if form.validate_on_submit():
        try:
            if commit_or_errors(
                form,
                lambda: mailboxes.save_mailbox(
                    mailbox,
                    actor=current_user,
                    values=_values(form),
                    password=form.imap_password.data,
                    expected_version=form.version.data,
                ),
            ):
                flash(_("Mailbox %(name)s saved.", name=form.name.data), "success")
                return redirect(url_for("mail.mailboxes_page"))
        except Conflict as error:
            return refused(
                error,
                lambda: _get_mailbox(mailbox_id),
                lambda stored, status: _render_mailbox(stored, _stored_form(stored), status),
            )
    return _render_mailbox(mailbox, form, 422)


@bp.get("/quarantine")
@require("mail.admin")
def quarantine_page() -> ResponseReturnValue:
    state = request.args.get("state", "")
    chosen = MessageState(state) if state in ("quarantined", "ignored") else None
    page, per_page = page_args()
    pagination = db.paginate(
        mailboxes.pending(chosen), page=page, per_page=per_page, error_out=False
    )
    return render_template(
        "mail/incoming/quarantine.html",
        pagination=pagination,
        state=state if chosen else "",
        new_form=lambda: MessageActionForm(formdata=None),
    )


@bp.get("/quarantine/<int:message_id>.eml")
@require("mail.admin")
def download_message(message_id: int) -> ResponseReturnValue:
    message = mailboxes.get_message(message_id)
    if message.raw is None:
        raise NotFound(_("The bytes of this message are no longer kept."))
    return Response(
        message.raw,
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{message.id}.eml"'},
    )


@bp.post("/quarantine/<int:message_id>/again")
@require("mail.admin")
def process_again(message_id: int) -> ResponseReturnValue:
    message = mailboxes.get_message(message_id)
    if message.raw is None or message.state not in (
        MessageState.QUARANTINED,
        MessageState.IGNORED,
    ):
        raise Conflict(_("This message was processed or dismissed already."))
    form = MessageActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired: please try again."), "danger")
        return redirect(url_for("mail.quarantine_page"))
    form.consume(done=url_for("mail.quarantine_page"))
    outcome = intake.take(message.raw, message.mailbox, again=message)
    flash(
        _("Processed again: %(outcome)s", outcome=outcome.line()),
        "success" if outcome.number else "warning",
    )
    return redirect(url_for("mail.quarantine_page"))


@bp.post("/quarantine/<int:message_id>/dismiss")
@require("mail.admin")
def dismiss_message(message_id: int) -> ResponseReturnValue:
    message = mailboxes.get_message(message_id)
    form = MessageActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired: please try again."), "danger")
        return redirect(url_for("mail.quarantine_page"))
    form.consume(done=url_for("mail.quarantine_page"))
    mailboxes.dismiss(message, actor=current_user)
    return saved(_("Message dismissed."), url_for("mail.quarantine_page"))
