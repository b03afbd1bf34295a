"""A person's API tokens in their settings: make one (its secret is shown once, on the page
that answers the post, and never again), see when each was last used, revoke one."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.api import scopes
from app.api.tokens import services
from app.api.tokens.forms import RevokeForm, TokenForm
from app.errors import Invalid
from app.extensions import db
from app.forms import apply_errors, saved
from app.policy import signed_in
from app.timeutils import utc_now

bp = Blueprint("api_tokens", __name__, template_folder="../templates")


def _form() -> TokenForm:
    form = TokenForm()
    form.scopes.choices = [SelectChoice(s, s) for s in scopes.all_scopes()]
    return form


def _page(
    form: TokenForm, made: services.MadeToken | None = None, status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "api/tokens.html",
            form=form,
            made=made,
            tokens=services.tokens_of(current_user),
            revoke=RevokeForm(),
            now=utc_now(),
            areas=scopes.AREAS,
        ),
        status,
    )


@bp.get("/")
@signed_in
def tokens() -> ResponseReturnValue:
    return _page(_form())


@bp.post("/")
@signed_in
def create() -> ResponseReturnValue:
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        form.consume(done=url_for("api_tokens.tokens"))
        made = services.create_token(
            current_user,
            name=form.name.data or "",
            scopes=form.scopes.data or [],
            expires_days=form.expires_days.data,
            actor=current_user,
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _page(form, status=422)
    db.session.commit()
    return _page(_form(), made=made)


@bp.post("/<int:token_id>/revoke")
@signed_in
def revoke(token_id: int) -> ResponseReturnValue:
    token = services.own_token(current_user, token_id)
    if RevokeForm().validate_on_submit():
        services.revoke_token(token, actor=current_user)
    return saved(
        _("The token “%(name)s” is revoked.", name=token.name), url_for("api_tokens.tokens")
    )
