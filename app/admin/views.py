"""Administration of people and groups. Views parse, load and authorize, call one service,
commit, and redirect; the rules live in ``app.auth.services`` and ``app.auth.groups``."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app import audit
from app.admin.forms import (
    GroupForm,
    MemberRemoveForm,
    MembersAddForm,
    PasswordResetForm,
    UserActiveForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    UserRolesForm,
)
from app.auth import groups as group_services
from app.auth import (
    permissions,  # noqa: F401  (registers the rules)
    services,
)
from app.auth.forms import SignOutForm
from app.auth.models import AccountSource, GrantSource, Group, Role, RoleGrant, User
from app.errors import Conflict, Invalid, NotFound, check_version
from app.extensions import db
from app.filtering import ignored_note
from app.forms import apply_errors, commit_or_errors, refused, saved
from app.policy import authorize, require
from app.ui import page_args

bp = Blueprint("admin", __name__, template_folder="templates")

PERSON_FIELDS = ("display_name", "email", "department", "title", "phone", "location")


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no person with this id."))
    return user


def get_group(group_id: int, *, manage: bool = False) -> Group:
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotFound(_("There is no group with this id."))
    if manage:
        authorize(current_user, "groups.manage", group)
    return group


def manager_from(username: str | None) -> User | None:
    """The person a "manager (username)" field names. :raise Invalid: it names nobody."""
    if not username or not username.strip():
        return None
    manager = services.get_user_by_username(username)
    if manager is None:
        raise Invalid(
            {"manager": _("No person has the username “%(username)s”.", username=username.strip())}
        )
    return manager


def manager_id_from(username: str | None) -> int | None:
    manager = manager_from(username)
    return manager.id if manager else None


def filtered_users(form: UserFilterForm) -> Select:
    # The list shows each person's manager and roles.
    query = (
        select(User)
        .options(joinedload(User.manager), selectinload(User.role_grants))
        .order_by(User.display_name, User.id)
    )
    if form.q.data:
        text = form.q.data.strip().lower()
        query = query.where(
            or_(
                func.lower(User.display_name).contains(text, autoescape=True),
                User.username.contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    if form.role.data:
        query = query.where(
            User.id.in_(select(RoleGrant.user_id).where(RoleGrant.role == Role(form.role.data)))
        )
    if form.department.data:
        query = query.where(func.lower(User.department) == form.department.data.strip().lower())
    if form.status.data == "active":
        query = query.where(User.is_active)
    elif form.status.data == "inactive":
        query = query.where(~User.is_active)
    elif form.status.data == "unverified":
        query = query.where(User.unverified)
    return query


@bp.get("/users")
@require("admin.users")
def users() -> ResponseReturnValue:
    form = UserFilterForm(request.args)
    if ignored := form.clean():
        flash(ignored_note(ignored), "warning")
    page, per_page = page_args()
    pagination = db.paginate(filtered_users(form), page=page, per_page=per_page, error_out=False)
    departments = db.session.scalars(
        select(User.department)
        .where(User.department.is_not(None))
        .distinct()
        .order_by(User.department)
    ).all()
    return render_template(
        "admin/users.html", form=form, pagination=pagination, departments=departments
    )


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.users")
def create_user() -> ResponseReturnValue:
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_local_user(
                username=form.username.data,
                password=form.password.data,
                roles=[Role(r) for r in form.roles.data],
                actor=current_user,
                **{f: getattr(form, f).data or None for f in PERSON_FIELDS},
            )
            services.set_manager(user, manager_from(form.manager.data), actor=current_user)
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            return saved(
                _(
                    "%(name)s can now sign in as %(username)s.",
                    name=user.display_name,
                    username=user.username,
                ),
                url_for("admin.user", user_id=user.id),
            )
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_new.html", form=form), status


def _render_user(user: User, status: int = 200, **forms: object) -> ResponseReturnValue:
    edit = forms.get("edit") or UserEditForm(obj=user, formdata=None)
    if "edit" not in forms:
        edit.manager.data = user.manager.username if user.manager else ""
        edit.version.data = str(user.version)
    roles = forms.get("roles") or UserRolesForm(formdata=None)
    if "roles" not in forms:
        roles.roles.data = [r.value for r in user.roles_from(GrantSource.LOCAL)]
    history = db.session.scalars(
        select(audit.AuditEvent)
        .where(audit.AuditEvent.object_type == "user", audit.AuditEvent.object_id == user.id)
        .order_by(audit.AuditEvent.created_at.desc(), audit.AuditEvent.id.desc())
        .limit(50)
    ).all()
    page = render_template(
        "admin/user.html",
        user=user,
        edit=edit,
        roles_form=roles,
        directory_roles=user.roles_from(GrantSource.DIRECTORY),
        active_form=UserActiveForm(formdata=None),
        password_form=forms.get("password") or PasswordResetForm(formdata=None),
        history=history,
        local=user.source == AccountSource.LOCAL,
    )
    return page, status


@bp.get("/users/<int:user_id>")
@require("admin.users")
def user(user_id: int) -> ResponseReturnValue:
    return _render_user(get_user(user_id))


@bp.post("/users/<int:user_id>")
@require("admin.users")
def update_user(user_id: int) -> ResponseReturnValue:
    person = get_user(user_id)
    form = UserEditForm()
    if form.validate_on_submit():
        try:
            check_version(
                person, form.version.data, _("%(name)s's record", name=person.display_name)
            )
            values = {f: getattr(form, f).data for f in PERSON_FIELDS}
            manager = manager_from(form.manager.data)
            changes = services.update_profile(person, actor=current_user, **values)
            if services.set_manager(person, manager, actor=current_user):
                changes["manager"] = []
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
        except Conflict as error:
            return refused(error, lambda: get_user(user_id), _render_user)
        else:
            return saved(
                _("Saved.") if changes else _("Nothing changed."),
                url_for("admin.user", user_id=person.id),
            )
    return _render_user(person, 422, edit=form)


@bp.post("/users/<int:user_id>/roles")
@require("admin.users")
def update_roles(user_id: int) -> ResponseReturnValue:
    person = get_user(user_id)
    form = UserRolesForm()
    roles = [Role(r) for r in form.roles.data or []]
    if form.validate_on_submit() and commit_or_errors(
        form, lambda: services.set_local_roles(person, roles, actor=current_user)
    ):
        flash(_("Roles saved."), "success")
        return redirect(url_for("admin.user", user_id=person.id))
    return _render_user(get_user(user_id), 422, roles=form)


@bp.post("/users/<int:user_id>/active")
@require("admin.users")
def set_active(user_id: int) -> ResponseReturnValue:
    person = get_user(user_id)
    form = UserActiveForm()
    if form.validate_on_submit() and form.active.data in ("0", "1"):
        try:
            services.set_active(person, form.active.data == "1", actor=current_user)
        except Invalid as error:
            return refused(error, lambda: get_user(user_id), _render_user)
        return saved(
            _("Account activated.") if person.is_active else _("Account deactivated."),
            url_for("admin.user", user_id=person.id),
        )
    flash(_("The request was incomplete; nothing changed."), "danger")
    return _render_user(person, 400)


@bp.post("/users/<int:user_id>/sessions")
@require("admin.users")
def end_sessions(user_id: int) -> ResponseReturnValue:
    """Sign the person out on every device (a lost laptop, a leaked cookie)."""
    person = get_user(user_id)
    if not SignOutForm().validate_on_submit():
        flash(_("The request was incomplete; nothing changed."), "danger")
        return _render_user(person, 400)
    services.sign_out_everywhere(person, actor=current_user)
    return saved(
        _("%(name)s is signed out on every device.", name=person.display_name),
        url_for("admin.user", user_id=person.id),
    )


@bp.post("/users/<int:user_id>/password")
@require("admin.users")
def reset_password(user_id: int) -> ResponseReturnValue:
    person = get_user(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(person, form.password.data, actor=current_user)
        except Invalid as error:
            apply_errors(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            return saved(
                _("%(name)s's password is reset.", name=person.display_name),
                url_for("admin.user", user_id=person.id),
            )
    return _render_user(person, 422, password=form)


@bp.get("/groups")
@require("groups.view")
def groups() -> ResponseReturnValue:
    page, per_page = page_args()
    query = select(Group).options(joinedload(Group.manager)).order_by(Group.name)
    q = request.args.get("q", "").strip()[:200]
    if q:
        query = query.where(func.lower(Group.name).contains(q.lower(), autoescape=True))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return render_template(
        "admin/groups.html",
        pagination=pagination,
        sizes=group_services.member_counts([g.id for g in pagination.items]),
        q=q,
    )


def _group_values(form: GroupForm) -> dict[str, object]:
    """The group form's fields as service arguments. :raise Invalid: unknown manager."""
    return {
        "name": form.name.data,
        "email": form.email.data or None,
        "description": form.description.data or None,
        "manager_id": manager_id_from(form.manager.data),
        "is_assignment_group": form.is_assignment_group.data,
    }


@bp.route("/groups/new", methods=["GET", "POST"])
@require("groups.create")
def create_group() -> ResponseReturnValue:
    form = GroupForm()
    if request.method == "GET":
        form.is_assignment_group.data = True
    if form.validate_on_submit():
        try:
            group = group_services.create_group(actor=current_user, **_group_values(form))
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            return saved(
                _("Group %(name)s created.", name=group.name),
                url_for("admin.group", group_id=group.id),
            )
    status = 422 if form.is_submitted() else 200
    return render_template("admin/group_new.html", form=form), status


def _render_group(group: Group, status: int = 200, **forms: object) -> ResponseReturnValue:
    form = forms.get("edit")
    if form is None:
        form = GroupForm(obj=group, formdata=None)
        form.manager.data = group.manager.username if group.manager else ""
    return (
        render_template(
            "admin/group.html",
            group=group,
            form=form,
            add_form=forms.get("add") or MembersAddForm(formdata=None),
            remove_form=MemberRemoveForm(formdata=None),
        ),
        status,
    )


@bp.get("/groups/<int:group_id>")
@require("groups.view")
def group(group_id: int) -> ResponseReturnValue:
    return _render_group(get_group(group_id))


@bp.post("/groups/<int:group_id>")
@require("groups.manage")
def update_group(group_id: int) -> ResponseReturnValue:
    group = get_group(group_id, manage=True)
    form = GroupForm()
    if form.validate_on_submit() and commit_or_errors(
        form,
        lambda: group_services.update_group(group, actor=current_user, **_group_values(form)),
    ):
        flash(_("Group saved."), "success")
        return redirect(url_for("admin.group", group_id=group.id))
    return _render_group(get_group(group_id), 422, edit=form)


@bp.post("/groups/<int:group_id>/members")
@require("groups.manage")
def add_members(group_id: int) -> ResponseReturnValue:
    group = get_group(group_id, manage=True)
    form = MembersAddForm()
    if form.validate_on_submit():
        names = [n for n in re.split(r"[\s,;]+", form.usernames.data.lower()) if n]
        found = db.session.scalars(select(User).where(User.username.in_(names))).all()
        missing = sorted(set(names) - {u.username for u in found})
        if missing:
            form.usernames.errors = [
                _("Unknown username: %(names)s. Nobody was added.", names=", ".join(missing))
            ]
        else:
            added = group_services.add_members(group, found, actor=current_user)
            db.session.commit()
            flash(
                _("%(count)s added to %(group)s.", count=len(added), group=group.name)
                if added
                else _("Already members."),
                "success",
            )
            return redirect(url_for("admin.group", group_id=group.id))
    return _render_group(group, 422, add=form)


@bp.post("/groups/<int:group_id>/members/remove")
@require("groups.manage")
def remove_member(group_id: int) -> ResponseReturnValue:
    group = get_group(group_id, manage=True)
    form = MemberRemoveForm()
    if not form.validate_on_submit() or not str(form.user_id.data).isdecimal():
        flash(_("The request was incomplete; nothing changed."), "danger")
        return _render_group(group, 400)
    person = get_user(int(form.user_id.data))
    if group_services.remove_member(group, person, actor=current_user):
        db.session.commit()
        flash(_("%(name)s left %(group)s.", name=person.display_name, group=group.name), "success")
    return redirect(url_for("admin.group", group_id=group.id))
