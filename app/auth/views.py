"""Sign-in, sign-out and the signed-in person's own account page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME

from app.auth import (
    permissions,  # noqa: F401  (registers the rules)
    services,
    sessions,
    throttle,
)
from app.auth.forms import (
    PasswordChangeForm,
    PreferencesForm,
    SignInForm,
    SignOutForm,
    language_choices,
    timezone_choices,
)
from app.auth.models import AccountSource, User
from app.errors import Conflict, Invalid
from app.extensions import db, login_manager
from app.forms import apply_errors, saved
from app.policy import public, signed_in

bp = Blueprint("auth", __name__, template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Sessions of deactivated accounts, and of an older session generation (signed out,
    password changed, signed out everywhere), end at the next request."""
    return sessions.load_user(user_id)


def safe_next(target: str | None) -> str | None:
    """Return ``target`` only if it is a path on this site (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def home_url() -> str:
    return url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    form = SignInForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or home_url())
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.username.data, form.password.data, address=request.remote_addr or "-"
            )
        except services.SignInUnavailable as unavailable:
            db.session.commit()  # the failure counts towards throttling
            status = 503
            form.form_errors.append(unavailable.message)
        except throttle.SignInThrottled as refused:
            status, headers = 429, {"Retry-After": str(refused.retry_after)}
            form.form_errors.append(refused.message)
        except services.SignInRefused as refused:
            db.session.commit()  # the failure must count towards throttling
            status = 401
            form.form_errors.append(refused.message)
        else:
            db.session.commit()
            target = safe_next(form.next.data)
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(user, remember=form.remember.data)
            current_app.logger.info("sign-in: %s", user.username)
            return redirect(target or home_url())
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
@signed_in
def logout() -> ResponseReturnValue:
    """Sign out: the session and remember-me cookies of this person stop working everywhere,
    including copies of them."""
    if SignOutForm().validate_on_submit():
        sessions.end_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def _account_forms() -> tuple[PreferencesForm, PasswordChangeForm]:
    preferences = PreferencesForm(prefix="pref")
    preferences.timezone.choices = timezone_choices(
        _("The desk's default (%(zone)s)", zone=current_app.config["DESKGRAPH_TIMEZONE"])
    )
    preferences.language.choices = language_choices()
    return preferences, PasswordChangeForm(prefix="pw")


@bp.get("/account")
@signed_in
def account() -> ResponseReturnValue:
    preferences, password_form = _account_forms()
    preferences.timezone.data = current_user.timezone or ""
    preferences.language.data = current_user.language or ""
    return _render_account(preferences, password_form)


def _render_account(
    preferences: PreferencesForm, password_form: PasswordChangeForm, status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "auth/account.html",
            user=current_user,
            preferences=preferences,
            password_form=password_form,
            local=current_user.source == AccountSource.LOCAL,
        ),
        status,
    )


@bp.post("/account/preferences")
@signed_in
def save_preferences() -> ResponseReturnValue:
    preferences, password_form = _account_forms()
    if not preferences.validate_on_submit():
        return _render_account(preferences, password_form, 422)
    changes = services.update_profile(
        current_user,
        actor=current_user,
        timezone=preferences.timezone.data or None,
        language=preferences.language.data or None,
    )
    refresh()  # the message after saving is in the language just chosen
    return saved(
        _("Preferences saved.") if changes else _("Nothing to change."), url_for("auth.account")
    )


@bp.post("/account/password")
@signed_in
def change_password() -> ResponseReturnValue:
    preferences, password_form = _account_forms()
    preferences.timezone.data = current_user.timezone or ""
    preferences.language.data = current_user.language or ""
    if password_form.validate_on_submit():
        try:
            services.change_password(
                current_user, password_form.current_password.data, password_form.new_password.data
            )
        except Invalid as error:
            apply_errors(password_form, error)
        except Conflict as error:
            password_form.form_errors.append(error.message)
        else:
            db.session.commit()
            # Every other session ended with the change; this browser stays signed in.
            cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
            login_user(current_user._get_current_object(), remember=cookie in request.cookies)
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("auth.account"))
    return _render_account(preferences, password_form, 422)


@bp.post("/account/sign-out-everywhere")
@signed_in
def sign_out_everywhere() -> ResponseReturnValue:
    """End every session of the signed-in person on every device, this one included."""
    if not SignOutForm().validate_on_submit():
        flash(_("The request was incomplete; nothing changed."), "danger")
        return redirect(url_for("auth.account"))
    services.sign_out_everywhere(current_user, actor=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))
