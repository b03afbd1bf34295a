"""The survey pages: answering from the portal (signed in) or a mail link (signed out), the
administrators' settings and the report. Routes on the ``surveys`` blueprint (``/surveys``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import DomainError, Invalid
from app.extensions import db
from app.forms import apply_errors, commit_or_errors, saved
from app.policy import public, require
from app.surveys import labels, links, panels, sampling, services
from app.surveys import permissions as _permissions  # noqa: F401  (registers the rules)
from app.surveys.forms import AnswerForm, SettingsForm
from app.surveys.models import Survey
from app.timeutils import utc_now

bp = Blueprint("surveys", __name__, template_folder="templates")
REPORT_DAYS = (30, 90, 365)


def _answer_page(
    survey: Survey, form: AnswerForm, *, token: str | None = None, status: int = 200
) -> ResponseReturnValue:
    now = utc_now()
    return render_template(
        "surveys/answer.html",
        survey=survey,
        ticket=survey.ticket,
        form=form,
        token=token,
        faces=sampling.ICONS,
        labels=labels.LABELS,
        may_edit=services.may_edit(survey, now),
        is_done=services.is_done(survey.ticket),
        reopen=panels.reopen_offer(survey, now),
        ticket_url=panels.ticket_url(survey.ticket),
        max_comment=sampling.MAX_COMMENT,
    ), status


def _form_for(survey: Survey, score: Any = None) -> AnswerForm:
    form = AnswerForm(formdata=None)
    chosen = sampling.parse_score(score) or survey.score
    form.score.data = str(chosen) if chosen else None
    form.comment.data = survey.comment
    form.version.data = str(survey.version)
    return form


def _refusal(error: DomainError, survey: Survey | None = None) -> ResponseReturnValue:
    db.session.rollback()
    return render_template(
        "_link_refused.html",
        status=error.status,
        title=str(error.title),
        message=error.message,
        target=panels.ticket_url(survey.ticket) if survey is not None else url_for("portal.home"),
        open_label=_("Open the ticket"),
        signin_label=_("Sign in to the service desk"),
    ), error.status


def _answer(survey: Survey, form: AnswerForm, via: str, token: str | None) -> Any:
    """Validate and store one answer; the page to show on refusal, else None."""
    if not form.validate_on_submit():
        return _answer_page(survey, form, token=token, status=400)
    try:
        services.answer(
            survey,
            score=request.form.get("score"),
            comment=form.comment.data,
            by=survey.caller,
            via=via,
            version=form.version.data,
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _answer_page(
            db.session.get(Survey, survey.id) or survey, form, token=token, status=422
        )
    except DomainError as error:
        return _refusal(error, survey)
    db.session.commit()
    return None


@bp.get("/<int:survey_id>")
@require("signed_in")
def answer_page(survey_id: int) -> ResponseReturnValue:
    """The caller's survey (the ticket page holds the same form)."""
    try:
        survey = services.get_for_caller(survey_id, current_user)
    except DomainError as error:
        return _refusal(error)
    return _answer_page(survey, _form_for(survey, request.args.get("score")))


@bp.post("/<int:survey_id>")
@require("signed_in")
def answer(survey_id: int) -> ResponseReturnValue:
    try:
        survey = services.get_for_caller(survey_id, current_user)
    except DomainError as error:
        return _refusal(error)
    refused = _answer(survey, AnswerForm(), "portal", None)
    if refused is not None:
        return refused
    flash(_("Thank you for your answer."), "success")
    return redirect(url_for("surveys.answer_page", survey_id=survey.id), 303)


@bp.get("/answer/<token>")
@public
def by_link(token: str) -> ResponseReturnValue:
    """The survey from a mail link: shows the question (a face may be chosen in the mail);
    answers nothing."""
    try:
        survey = links.open_link(token)
    except DomainError as error:
        return _refusal(error)
    return _answer_page(survey, _form_for(survey, request.args.get("score")), token=token)


@bp.post("/answer/<token>")
@public
def answer_by_link(token: str) -> ResponseReturnValue:
    try:
        survey = links.open_link(token)
    except DomainError as error:
        return _refusal(error)
    refused = _answer(survey, AnswerForm(), "link", token)
    if refused is not None:
        return refused
    flash(_("Thank you for your answer."), "success")
    return redirect(url_for("surveys.by_link", token=token), 303)


@bp.route("/settings", methods=["GET", "POST"])
@require("surveys.configure")
def settings() -> ResponseReturnValue:
    row = services.settings()
    form = SettingsForm(obj=row) if request.method == "GET" else SettingsForm()
    if request.method == "GET":
        form.version.data = str(row.version or "")
    status = 200
    if form.is_submitted():
        if form.validate_on_submit() and commit_or_errors(
            form, lambda: services.save_settings(request.form, form.version.data)
        ):
            return saved(_("Survey settings saved."), url_for(".settings"))
        status = 422
    return render_template("surveys/settings.html", form=form), status


@bp.get("/report")
@require("surveys.read_scores")
def report() -> ResponseReturnValue:
    days = request.args.get("days", "90")
    chosen = int(days) if days in {str(d) for d in REPORT_DAYS} else 90
    return render_template(
        "surveys/report.html",
        days=chosen,
        choices=REPORT_DAYS,
        tables=services.report(chosen),
        dimensions={
            "agent": _("Agent"),
            "group": _("Group"),
            "service": _("Service"),
            "category": _("Category"),
        },
        low_score=services.settings().low_score,
        recent=services.recent_answers(limit=20),
        link_days=current_app.config.get("SURVEY_LINK_DAYS", links.DEFAULT_DAYS),
    )
