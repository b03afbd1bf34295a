"""Knowledge on the agent's incident page (KCS): the panel of linked, suggested and
"resolved similar incidents" articles, linking, inserting an article into a public reply,
and flagging an article as wrong. The incident page loads the panel with htmx."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, or_, select

from app.errors import Invalid, NotFound
from app.extensions import db
from app.forms import apply_errors, saved
from app.i18n.locale import in_language_of
from app.incidents import services as incident_services
from app.incidents.models import Incident, incident_cis
from app.incidents.views import get_incident
from app.incidents.workflow import State
from app.kb import services
from app.kb.forms import FlagForm, LinkForm, SolvedForm
from app.kb.models import Article
from app.kb.views import bp
from app.policy import require

RESOLVED = [State.RESOLVED.value, State.CLOSED.value]


def _article(number: str | None) -> Article:
    found = services.find(number or "")
    if found is None or not services.may_read(current_user, found):
        raise Invalid({"article": _("No published article has this number.")})
    return found


def similar_resolved_ids(incident: Incident, limit: int = 200) -> list[int]:
    """Resolved or closed incidents like this one: on one of its CIs, or of its category and
    service."""
    ci_ids = select(incident_cis.c.ci_id).where(incident_cis.c.incident_id == incident.id)
    sharing = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id.in_(ci_ids))
    alike: list[ColumnElement[bool]] = [Incident.id.in_(sharing)]
    if incident.category:
        alike.append(
            (Incident.category == incident.category)
            & (Incident.affected_service == incident.affected_service)
        )
    return list(
        db.session.scalars(
            select(Incident.id)
            .where(Incident.id != incident.id, Incident.state.in_(RESOLVED), or_(*alike))
            .order_by(Incident.id.desc())
            .limit(limit)
        )
    )


def _panel(incident: Incident, status: int = 200, **forms: Any) -> ResponseReturnValue:
    linked = services.linked_to(incident)
    suggested = [
        a
        # The incident's own words only: its category ("software") is the desk's taxonomy,
        # not the articles' (they have categories of their own), and as a search word it
        # found any article saying "software" and took a typed word's place.
        for a in services.suggest_articles(incident.short_description, current_user, limit=5)
        if a not in linked
    ]
    return render_template(
        "kb/_incident_panel.html",
        incident=incident,
        linked=linked,
        suggested=suggested,
        similar=services.resolved_similar(incident, current_user, similar_resolved_ids(incident)),
        link_form=forms.get("link_form") or LinkForm(formdata=None),
        flag_form=forms.get("flag_form") or FlagForm(formdata=None),
        form=SolvedForm(formdata=None),
        resolved=incident.state in (State.RESOLVED, State.CLOSED),
    ), status


@bp.get("/incidents/<number>/panel")
@require("kb.write")
def incident_panel(number: str) -> ResponseReturnValue:
    return _panel(get_incident(number, "incident.work"))


def _back(incident: Incident) -> str:
    return url_for("incidents.detail", number=incident.number)


@bp.post("/incidents/<number>/link")
@require("kb.write")
def link(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.work")
    form = LinkForm()
    try:
        if not form.validate_on_submit():
            raise Invalid({"article": _("The form expired; reload the page.")})
        article = _article(form.article.data)
        services.link_incident(article, incident, actor=current_user)
    except Invalid as error:
        db.session.rollback()
        flash(" ".join(m for ms in error.field_errors.values() for m in ms), "danger")
        return redirect(_back(incident)), 303
    return saved(
        _(
            "%(article)s is linked to %(incident)s.",
            article=article.number,
            incident=incident.number,
        ),
        _back(incident),
    )


@bp.post("/incidents/<number>/unlink/<article_number>")
@require("kb.write")
def unlink(number: str, article_number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.work")
    found = services.find(article_number)
    if found is None or not SolvedForm().validate_on_submit():
        raise NotFound(_("There is no such link."))
    services.unlink_incident(found, incident)
    return saved(_("%(article)s is no longer linked.", article=found.number), _back(incident))


@bp.post("/incidents/<number>/reply/<article_number>")
@require("kb.write")
def reply(number: str, article_number: str) -> ResponseReturnValue:
    """Send the article to the caller as a public reply (and link it). An article the caller
    may not read is refused: an IT-only article is never linked from a caller's ticket."""
    incident = get_incident(number, "incident.work")
    if not SolvedForm().validate_on_submit():
        raise Invalid({"article": _("The form expired; reload the page.")})
    try:
        article = _article(article_number)
        if incident.caller is None or not services.may_read(incident.caller, article):
            raise Invalid(
                {
                    "article": _(
                        "%(article)s is not readable by the caller; link it instead.",
                        article=article.number,
                    )
                }
            )
        address = url_for("kb.article", number=article.number, _external=True)
        with in_language_of(incident.caller):  # the reply is the caller's to read
            body = _("This article should help: %(title)s", title=article.title)
        incident_services.comment(
            incident, author=current_user, body=f"{body}\n{address}", public=True
        )
        services.link_incident(article, incident, actor=current_user)
    except Invalid as error:
        db.session.rollback()
        flash(" ".join(m for ms in error.field_errors.values() for m in ms), "danger")
        return redirect(_back(incident)), 303
    return saved(_("%(article)s is sent to the caller.", article=article.number), _back(incident))


@bp.post("/incidents/<number>/flag")
@require("kb.write")
def flag(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.work")
    form = FlagForm()
    try:
        if not form.validate_on_submit():
            raise Invalid({"note": _("The form expired; reload the page.")})
        article = _article(form.article.data)
        services.flag(article, current_user, form.note.data or "", ticket=incident)
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        flash(" ".join(m for ms in error.field_errors.values() for m in ms), "danger")
        return redirect(_back(incident)), 303
    return saved(
        _(
            "%(owner)s is asked to check %(article)s.",
            owner=article.owner.display_name,
            article=article.number,
        ),
        _back(incident),
    )
