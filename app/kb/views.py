"""Knowledge pages: the home, an article, writing and reviewing, the owner's tasks, the
deflection report. Each view parses, loads and authorizes, calls a service, commits."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import SelectChoice

from app.auth.models import Group
from app.cmdb.classes.tree import of_class
from app.cmdb.graph.vocabulary import BUSINESS_SERVICE, Lifecycle
from app.cmdb.models import ConfigurationItem
from app.errors import Conflict, Invalid, NotFound, check_version
from app.extensions import db
from app.files import send
from app.forms import apply_errors, row_id, saved
from app.i18n.locale import current_language
from app.kb import permissions, rendering, services
from app.kb.forms import ArticleForm, FileForm, NewArticleForm, SolvedForm, VersionForm, VoteForm
from app.kb.hooks import ATTEMPT
from app.kb.models import Article, ArticleFile, ArticleFlag, KbCategory
from app.policy import authorize, can, require
from app.requests.models import CatalogItem
from app.timeutils import utc_now

bp = Blueprint("kb", __name__, template_folder="templates")


def get_article(number: str) -> Article:
    """:raise NotFound: no such article, or not one for this person (no leak of IT-only ones)."""
    return services.visible_article(current_user, number)


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Markup:
    return Markup(rendering.render(text or ""))  # noqa: S704  (sanitised by nh3)


@bp.app_template_global("kb_summary")
def kb_summary(text: str) -> str:
    return rendering.plain_summary(text or "")


# -- reading ---------------------------------------------------------------------------------


@bp.get("/")
@require("kb.read")
def home() -> ResponseReturnValue:
    return render_template(
        "kb/home.html",
        popular=services.popular(current_user),
        newest=services.newest(current_user),
        categories=services.by_category(current_user),
    )


@bp.get("/category/<int:category_id>")
@require("kb.read")
def category(category_id: int) -> ResponseReturnValue:
    found = db.session.get(KbCategory, category_id)
    if found is None:
        raise NotFound(_("There is no such category."))
    articles = db.session.scalars(
        services.readable_articles(current_user)
        .where(Article.category_id == found.id)
        .order_by(Article.title)
    ).all()
    return render_template("kb/category.html", category=found, articles=articles)


@bp.get("/<number>")
@require("kb.read")
def article(number: str) -> ResponseReturnValue:
    found = get_article(number)
    language = current_language()
    here = services.in_language(current_user, found, language)
    if here is not None and here is not found and not request.args.get("as_is"):
        return redirect(url_for("kb.article", number=here.number))
    readable = services.may_read(current_user, found)
    attempt = services.open_attempt(session.get(ATTEMPT), current_user)
    if readable:
        services.count_view(found)
        if attempt is not None:
            services.opened_in_attempt(attempt, found)
        db.session.commit()
        db.session.refresh(found)
    return render_template(
        "kb/article.html",
        article=found,
        readable=readable,
        attempt=attempt,
        votes=services.vote_counts(found) if readable else (0, 0),
        not_in_language=here is None,
        other_languages=services.language_versions(current_user, found),
        vote_form=VoteForm(formdata=None),
        solved_form=SolvedForm(formdata=None),
        **_staff_context(found),
    )


def _staff_context(found: Article) -> dict[str, Any]:
    if not permissions.is_staff(current_user):
        return {"staff": False}
    return {
        "staff": True,
        "version_form": VersionForm(formdata=None, data={"version": found.version}),
        "cis": services.linked_cis(found),
        "items": services.linked_items(found),
        "files": services.files_of(found),
        "comments": (
            services.reader_comments(found) if permissions.may_edit(current_user, found) else []
        ),
    }


@bp.post("/<number>/vote")
@require("kb.read")
def vote(number: str) -> ResponseReturnValue:
    found = get_article(number)
    if not services.may_read(current_user, found):
        raise NotFound(_("There is no article with this number that you can read."))
    form = VoteForm()
    if not form.validate_on_submit() or form.helpful.data not in ("yes", "no"):
        flash(_("Choose yes or no."), "danger")
        return redirect(url_for("kb.article", number=found.number)), 303
    try:
        services.vote(
            found, current_user, helpful=form.helpful.data == "yes", comment=form.comment.data
        )
    except Invalid as error:
        db.session.rollback()
        flash(" ".join(m for ms in error.field_errors.values() for m in ms), "danger")
        return redirect(url_for("kb.article", number=found.number)), 303
    return saved(_("Thank you for your feedback."), url_for("kb.article", number=found.number))


@bp.get("/files/<int:file_id>/<path:filename>")
@require("kb.read")
def file(file_id: int, filename: str) -> ResponseReturnValue:
    row = db.session.get(ArticleFile, file_id)
    owner = db.session.get(Article, row.article_id) if row is not None else None
    if (
        row is None
        or owner is None
        or not (
            services.may_read(current_user, owner)
            or services.may_see_working_copy(current_user, owner)
        )
    ):
        raise NotFound(_("There is no such file."))
    return send(row.key, filename=row.filename, content_type=row.content_type)


# -- deflection ------------------------------------------------------------------------------


@bp.get("/suggest")
@require("kb.read")
def suggest() -> ResponseReturnValue:
    """The articles beside the report form (htmx, while the person types)."""
    text = " ".join(
        request.args.get(name, "")[:1000] for name in ("q", "short_description", "description")
    )
    found = services.suggest_articles(text, current_user, limit=5)
    attempt = services.open_attempt(session.get(ATTEMPT), current_user)
    if found and attempt is None:
        attempt = services.start_attempt(current_user)
        db.session.commit()
        session[ATTEMPT] = attempt.token
    return render_template(
        "kb/_suggestions.html", articles=found, typed=bool(text.strip()), form=SolvedForm()
    )


@bp.post("/<number>/solved")
@require("kb.read")
def solved(number: str) -> ResponseReturnValue:
    """ "This solved my problem": the attempt ends without a ticket, counted once."""
    found = get_article(number)
    if not SolvedForm().validate_on_submit() or not services.may_read(current_user, found):
        raise NotFound(_("There is no article with this number that you can read."))
    attempt = services.open_attempt(session.pop(ATTEMPT, None), current_user)
    if attempt is not None:  # a second click (or another tab) finds it ended: counted once
        services.end_attempt(attempt, services.AttemptOutcome.SOLVED, found)
    return saved(_("Glad it is solved. No ticket was needed."), url_for("kb.home"))


@bp.get("/deflection")
@require("kb.review")
def deflection() -> ResponseReturnValue:
    return render_template("kb/deflection.html", report=services.deflection_report())


# -- writing ---------------------------------------------------------------------------------


def _choices(form: ArticleForm) -> None:
    form.category.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(c.id), c.name) for c in services.categories()
    ]
    form.audience_group.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(g.id), g.name)
        for g in db.session.scalars(select(Group).order_by(Group.name))
    ]
    service_rows = db.session.scalars(
        select(ConfigurationItem)
        .where(of_class(BUSINESS_SERVICE), ConfigurationItem.status != Lifecycle.RETIRED)
        .order_by(ConfigurationItem.name)
    ).all()
    form.services.choices = [SelectChoice(str(c.id), c.name) for c in service_rows]
    form.items.choices = [
        SelectChoice(str(i.id), i.name)
        for i in db.session.scalars(select(CatalogItem).order_by(CatalogItem.name))
    ]


def _fields(form: ArticleForm) -> services.ArticleFields:
    """The submitted fields; :raise Invalid: a CI name that names no CI."""
    ci_ids = [i for i in (row_id(v) for v in form.services.data or []) if i is not None]
    names = [n.strip() for n in (form.cis.data or "").split(",") if n.strip()][:50]
    unknown = []
    for name in names:
        found = db.session.scalar(
            select(ConfigurationItem.id).where(func.lower(ConfigurationItem.name) == name.lower())
        )
        if found is None:
            unknown.append(name[:80])
        else:
            ci_ids.append(found)
    if unknown:
        raise Invalid(
            {"cis": _("No configuration item is named %(names)s.", names=", ".join(unknown))}
        )
    return services.ArticleFields(
        title=form.title.data or "",
        body=form.body.data or "",
        keywords=form.keywords.data or "",
        language=form.language.data or "",
        category_id=row_id(form.category.data),
        audience=form.audience.data or "",
        audience_group_id=row_id(form.audience_group.data),
        review_on=form.review_on.data,
        ci_ids=ci_ids,
        item_ids=[i for i in (row_id(v) for v in form.items.data or []) if i is not None],
        translation_of=form.translation_of.data or "",
    )


def _incident(number: str | None) -> Any:
    from app.incidents.views import get_incident

    return get_incident(number, "incident.work") if number else None


@bp.route("/new", methods=["GET", "POST"])
@require("kb.write")
def new() -> ResponseReturnValue:
    incident = _incident(request.values.get("incident") or None)
    form = NewArticleForm()
    _choices(form)
    if not form.is_submitted() and incident is not None:
        form.incident.data = incident.number
        form.title.data = incident.short_description
        form.body.data = (
            f"## Symptoms\n\n{incident.description or incident.short_description}\n\n"
            f"## Solution\n\n{incident.resolution_notes or ''}\n"
        )
        if incident.category:
            match = db.session.scalar(
                select(KbCategory).where(KbCategory.name == incident.category)
            )
            form.category.data = str(match.id) if match else ""
    if form.validate_on_submit():
        try:
            form.consume(done=url_for("kb.mine"))
            created = services.create_article(current_user, _fields(form), incident=incident)
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            return saved(
                _("%(article)s is saved as a draft.", article=created.number),
                url_for("kb.article", number=created.number),
            )
    status = 422 if form.is_submitted() else 200
    return render_template("kb/edit.html", form=form, article=None, incident=incident), status


@bp.route("/<number>/edit", methods=["GET", "POST"])
@require("kb.write")
def edit(number: str) -> ResponseReturnValue:
    found = get_article(number)
    authorize(current_user, "kb.edit", found)
    form = ArticleForm()
    _choices(form)
    if not form.is_submitted():
        _fill(form, found)
    status = 200
    if form.validate_on_submit():
        try:
            check_version(found, form.version.data, "This article")
            services.update_article(found, current_user, _fields(form))
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
            status = 422
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "danger")
            found = get_article(number)
            form.version.data = str(found.version)
            status = 409
        else:
            return saved(
                _("%(article)s is saved.", article=found.number),
                url_for("kb.article", number=found.number),
            )
    elif form.is_submitted():
        status = 422
    return render_template(
        "kb/edit.html",
        form=form,
        article=found,
        incident=None,
        file_form=FileForm(formdata=None),
        files=services.files_of(found),
    ), status


def _fill(form: ArticleForm, found: Article) -> None:
    service_ids = {c.value for c in form.services.choices}
    linked = services.linked_cis(found)
    form.version.data = str(found.version)
    form.title.data, form.body.data, form.keywords.data = found.title, found.body, found.keywords
    form.language.data = found.language
    form.translation_of.data = found.translation_of.number if found.translation_of else ""
    form.category.data = str(found.category_id or "")
    form.audience.data = found.audience.value
    form.audience_group.data = str(found.audience_group_id or "")
    form.services.data = [str(c.id) for c in linked if str(c.id) in service_ids]
    form.cis.data = ", ".join(c.name for c in linked if str(c.id) not in service_ids)
    form.items.data = [str(i.id) for i in services.linked_items(found)]
    form.review_on.data = found.review_on


@bp.post("/<number>/files")
@require("kb.write")
def add_file(number: str) -> ResponseReturnValue:
    found = get_article(number)
    authorize(current_user, "kb.edit", found)
    form = FileForm()
    upload = form.file.data
    if not form.validate_on_submit() or upload is None or not getattr(upload, "filename", ""):
        flash(_("Choose a file to attach."), "danger")
        return redirect(url_for("kb.edit", number=found.number)), 303
    try:
        row = services.add_file(found, current_user, upload.filename, upload.read())
    except Invalid as error:
        db.session.rollback()
        flash(" ".join(m for ms in error.field_errors.values() for m in ms), "danger")
        return redirect(url_for("kb.edit", number=found.number)), 303
    db.session.commit()
    address = url_for("kb.file", file_id=row.id, filename=row.filename)
    flash(
        _(
            "Attached. Use it in the text as ![%(name)s](%(address)s)",
            name=row.filename,
            address=address,
        ),
        "success",
    )
    return redirect(url_for("kb.edit", number=found.number)), 303


def _transition(number: str, action: str, change: Any, message: str) -> ResponseReturnValue:
    found = get_article(number)
    authorize(current_user, action, found)
    form = VersionForm()
    if not form.validate_on_submit():
        raise Invalid({"version": _("The form expired; reload the page.")})
    check_version(found, form.version.data, "This article")
    try:
        change(found, current_user)
    except Invalid as error:
        db.session.rollback()
        flash(error.message or _("This change is not possible now."), "danger")
        return redirect(url_for("kb.article", number=number)), 303
    return saved(message.format(number=found.number), url_for("kb.article", number=found.number))


@bp.post("/<number>/submit")
@require("kb.write")
def submit(number: str) -> ResponseReturnValue:
    return _transition(
        number, "kb.edit", services.submit_for_review, "{number} is waiting for review."
    )


@bp.post("/<number>/publish")
@require("kb.review")
def publish(number: str) -> ResponseReturnValue:
    return _transition(number, "kb.review", services.publish, "{number} is published.")


@bp.post("/<number>/send-back")
@require("kb.review")
def send_back(number: str) -> ResponseReturnValue:
    return _transition(
        number, "kb.review", services.send_back, "{number} is back in draft for its author."
    )


@bp.post("/<number>/retire")
@require("kb.write")
def retire(number: str) -> ResponseReturnValue:
    return _transition(number, "kb.retire", services.retire, "{number} is retired.")


@bp.get("/<number>/versions")
@require("kb.write")
def versions(number: str) -> ResponseReturnValue:
    found = get_article(number)
    numbers = [v.number for v in found.versions]
    old = row_id(request.args.get("old"))
    new = row_id(request.args.get("new"))
    if old is None and len(numbers) >= 2:
        old, new = numbers[-2], numbers[-1]
    lines = services.version_diff(found, old, new) if old and new else None
    return render_template(
        "kb/versions.html",
        article=found,
        lines=lines,
        old=old,
        new=new,
        working=request.args.get("working"),
    )


# -- owners and reviewers -------------------------------------------------------------------


@bp.get("/mine")
@require("kb.write")
def mine() -> ResponseReturnValue:
    due, flags = services.owner_tasks(current_user, utc_now().date())
    return render_template(
        "kb/mine.html",
        articles=services.owned_by(current_user),
        due=due,
        flags=flags,
        review=services.in_review() if can(current_user, "kb.review") else [],
        form=VersionForm(formdata=None),
    )


@bp.post("/flags/<int:flag_id>/resolve")
@require("kb.write")
def resolve_flag(flag_id: int) -> ResponseReturnValue:
    row = db.session.get(ArticleFlag, flag_id)
    if row is None:
        raise NotFound(_("There is no such flag."))
    authorize(current_user, "kb.edit", row.article)
    if not VersionForm().validate_on_submit():
        raise Invalid({"version": _("The form expired; reload the page.")})
    services.resolve_flag(row)
    return saved(_("The flag is resolved."), url_for("kb.mine"))
