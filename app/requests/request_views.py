"""Employee pages: my requests, a request with its items in plain words, replies with a file,
canceling before fulfilment, the request's files.

A request someone may not see is "not found", as for incidents (no leak of its existence).
These pages never show work notes or internal files, whoever reads them: IT staff work
requests from the task console.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.errors import Conflict, Invalid, NotFound
from app.forms import refused, saved
from app.policy import authorize, can, require
from app.requests import portal_queries, services
from app.requests.forms import CancelForm, ReplyForm
from app.requests.models import RequestItem, ServiceRequest
from app.requests.views import bp
from app.tickets import attachments


def get_request(number: str, action: str = "request.view") -> ServiceRequest:
    """A request by number (an item's number leads to its request).

    :raise NotFound: no such request, or one the user may not see.
    :raise Forbidden: visible, but ``action`` is not allowed.
    """
    found = services.visible_request(current_user, number)
    authorize(current_user, action, found)
    return found


def _item_of(req: ServiceRequest, number: str | None) -> RequestItem:
    """:raise NotFound: ``number`` is not one of the request's items."""
    item = next((i for i in req.items if i.number == (number or "").strip().upper()), None)
    if item is None:
        raise NotFound(_("This request has no such item."))
    return item


def render_request(req: ServiceRequest, status: int = 200, **forms: Any) -> ResponseReturnValue:
    views = services.visible_item_views(current_user, req)
    items = [v.item for v in views]
    reply = forms.get("reply_form") or ReplyForm(formdata=None)
    reply.item.choices = [
        SelectChoice(i.number, f"{i.number} · {i.catalog_item.name}")
        for i in items
        if can(current_user, "request_item.reply", i)
    ]
    return render_template(
        "requests/request.html",
        req=req,
        views=views,
        timeline=portal_queries.request_timeline(req, items),
        files=portal_queries.public_files([req.id, *(i.id for i in items)]),
        reply_form=reply,
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
        may_cancel=can(current_user, "request.cancel", req),
        cancelable=[v for v in views if v.can_cancel],
        approvals={i.id: list(i.approvals) for i in items},
    ), status


def _refused(number: str, error: Invalid | Conflict, **forms: Any) -> ResponseReturnValue:
    return refused(
        error,
        lambda: get_request(number),
        lambda req, status: render_request(req, status, **forms),
        *forms.values(),
    )


@bp.get("/mine")
@require("requests.order")
def mine() -> ResponseReturnValue:
    show_all = request.args.get("show") == "all"
    found = services.my_requests(current_user, open_only=not show_all)
    statuses = {i.id: services.item_status(i) for r in found for i in r.items}
    counts = services.my_request_counts(current_user)
    return render_template(
        "requests/my_requests.html",
        requests=found,
        statuses=statuses,
        show_all=show_all,
        open_count=counts.get("open", 0),
        total=sum(counts.values()),
    )


@bp.get("/<number>")
@require("requests.order")
def detail(number: str) -> ResponseReturnValue:
    return render_request(get_request(number))


@bp.post("/<number>/reply")
@require("requests.order")
def reply(number: str) -> ResponseReturnValue:
    req = get_request(number)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_request(req, 422, reply_form=form)
    item = _item_of(req, form.item.data or (req.items[0].number if len(req.items) == 1 else ""))
    authorize(current_user, "request_item.reply", item)
    try:
        form.consume(done=url_for("requests.detail", number=req.number))
        entry = services.comment(item, author=current_user, body=form.body.data, public=True)
        if form.attachment.data:
            attachments.store(
                item,
                form.attachment.data,
                uploader=current_user,
                internal=False,
                journal_entry_id=entry.id,
            )
    except Invalid as error:
        return _refused(number, error, reply_form=form)
    return saved(_("Your message was sent."), url_for("requests.detail", number=req.number))


@bp.post("/<number>/cancel")
@require("requests.order")
def cancel(number: str) -> ResponseReturnValue:
    """Cancel the whole request, or one item (``item`` = its number)."""
    req = get_request(number, "request.cancel")
    form = CancelForm()
    if not form.validate_on_submit():
        return render_request(req, 422, cancel_form=form)
    which = request.form.get("item")
    try:
        if which:
            item = _item_of(req, which)
            services.cancel_item(item, actor=current_user, reason=form.reason.data or "")
            message = f"{item.number} ({item.catalog_item.name}) is canceled."
        else:
            numbers = services.cancel_request(
                req, actor=current_user, reason=form.reason.data or ""
            )
            message = f"Canceled: {', '.join(numbers)}."
    except (Invalid, Conflict) as error:
        return _refused(number, error, cancel_form=form)
    return saved(message, url_for("requests.detail", number=req.number))


@bp.get("/<number>/files/<int:attachment_id>")
@require("requests.order")
def attachment(number: str, attachment_id: int) -> ResponseReturnValue:
    req = get_request(number)
    ids = [req.id, *(v.item.id for v in services.visible_item_views(current_user, req))]
    found = next((f for f in portal_queries.public_files(ids) if f.id == attachment_id), None)
    if found is None:
        raise NotFound(_("There is no such file on this request."))
    return attachments.download(found)
