"""The service catalog in the employee portal: browse and search, an item's page with its order
form, the request being prepared (a cart kept in the session: item ids only, the answers are
given on the cart's page), and the person and CI pickers' options.

Each view parses, loads and authorizes, calls one service, commits, redirects. The employees'
request pages are in ``request_views``, the approvers' in ``approvals.views``; the catalog admin
(``catalog.admin_views``) and the agents' task page (``fulfilment.views``) add their routes to
this blueprint from their own modules.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.auth import permissions as _auth_permissions  # noqa: F401  (registers portal.use)
from app.auth.people import search_people
from app.errors import NotFound
from app.extensions import db
from app.forms import row_id
from app.i18n.content import translated
from app.policy import require
from app.requests import permissions as _request_permissions  # noqa: F401  (registers rules)
from app.requests import portal_queries, services
from app.requests.catalog.variables import Variable, VariableType
from app.requests.forms import CartForm, OrderForm
from app.requests.models import CatalogItem, FormVersion
from app.requests.ordering.pages import (
    blank_lines,
    order_context,
    place_order,
    posted_lines,
    prepare_order_form,
)
from app.requests.ordering.services import MAX_LINES

bp = Blueprint("requests", __name__, template_folder="templates")

CART = "request_cart"  # session key: the catalog item ids of the request being prepared


def _orderable(item_id: int) -> CatalogItem:
    """:raise NotFound: no such active item. :raise Forbidden: not open to the user."""
    return services.orderable_item(current_user, item_id)


def cart_ids() -> list[int]:
    raw = session.get(CART)
    if not isinstance(raw, list):
        return []
    return [i for i in raw if isinstance(i, int)][:MAX_LINES]


def _cart_items() -> list[CatalogItem]:
    """The items of the cart still open to the user (others are dropped, with a message)."""
    ids = cart_ids()
    found = {
        i.id: i for i in db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(ids)))
    }
    items = [found[i] for i in ids if i in found]
    kept = [i for i in items if services.may_order(current_user, i)]
    if len(kept) != len(ids):
        flash(_("An item of your request is no longer available; it was removed."), "warning")
        session[CART] = [i.id for i in kept]
    return kept


@bp.get("/catalog")
@require("requests.order")
def catalog() -> ResponseReturnValue:
    search = (request.args.get("q") or "").strip()[:200]
    category_id = row_id(request.args.get("category"))
    items = services.orderable_items(current_user, search=search, category_id=category_id)
    groups: list[tuple[object, list[CatalogItem]]] = []
    for item in items:
        if not groups or groups[-1][0] is not item.category:
            groups.append((item.category, []))
        groups[-1][1].append(item)
    return render_template(
        "requests/catalog.html",
        groups=groups,
        search=search,
        category_id=category_id,
        categories=services.categories(),
        cart_size=len(cart_ids()),
        cart_form=CartForm(formdata=None),
    )


@bp.route("/catalog/<int:item_id>", methods=["GET", "POST"])
@require("requests.order")
def catalog_item(item_id: int) -> ResponseReturnValue:
    """An item's description and its order form (this item alone, now)."""
    item = _orderable(item_id)
    form, status = OrderForm(), 200
    if request.method == "GET":
        lines = blank_lines([item])
    else:
        lines, status = posted_lines(only=item), 422
        if form.validate_on_submit():
            placed, status = place_order(lines, form)
            if placed is not None:
                return redirect(url_for("requests.detail", number=placed))
    prepare_order_form(form)
    context = order_context(lines, form)
    return render_template(
        "requests/item.html", item=item, cart_form=CartForm(formdata=None), **context
    ), status


@bp.post("/cart/add/<int:item_id>")
@require("requests.order")
def cart_add(item_id: int) -> ResponseReturnValue:
    item = _orderable(item_id)
    if CartForm().validate_on_submit():
        ids = cart_ids()
        if len(ids) >= MAX_LINES:
            flash(
                _(
                    "A request holds at most %(max_lines)s items: submit this one first.",
                    max_lines=MAX_LINES,
                ),
                "warning",
            )
        else:
            session[CART] = [*ids, item.id]
            flash(
                ngettext(
                    "%(name)s was added to your request (%(num)d item). Add more, or review and "
                    "submit it.",
                    "%(name)s was added to your request (%(num)d items). Add more, or review and "
                    "submit it.",
                    len(ids) + 1,
                    name=translated(item, "name"),
                ),
                "success",
            )
    return redirect(url_for("requests.catalog"))


@bp.post("/cart/remove/<int:index>")
@require("requests.order")
def cart_remove(index: int) -> ResponseReturnValue:
    ids = cart_ids()
    if CartForm().validate_on_submit() and 0 <= index < len(ids):
        del ids[index]
        session[CART] = ids
        flash(_("The item was removed from your request."), "success")
    return redirect(url_for("requests.cart") if ids else url_for("requests.catalog"))


@bp.route("/cart", methods=["GET", "POST"])
@require("requests.order")
def cart() -> ResponseReturnValue:
    """The request being prepared: every item's form on one page, submitted as one request."""
    form, status = OrderForm(), 200
    if request.method == "GET":
        lines = blank_lines(_cart_items())
    else:
        lines, status = posted_lines(), 422
        if form.validate_on_submit():
            placed, status = place_order(lines, form)
            if placed is not None:
                session.pop(CART, None)
                return redirect(url_for("requests.detail", number=placed))
    prepare_order_form(form)
    return render_template(
        "requests/order_cart.html", cart_form=CartForm(formdata=None), **order_context(lines, form)
    ), status


@bp.get("/people")
@require("requests.order")
def people_options() -> ResponseReturnValue:
    """``<option>``s of the active people matching ``q`` (the person picker's search), after a
    first option to choose explicitly: "Myself" for "who is it for?" (``me=1``)."""
    text = (request.args.get("q") or "")[:200]
    people = search_people(text, portal_queries.PICKER_LIMIT)
    options = [(str(p.id), p.display_name, p.department or p.username) for p in people]
    first = None
    if request.args.get("me") == "1":
        first = (str(current_user.id), f"Myself ({current_user.display_name})")
    return render_template(
        "requests/order_picker_options.html", options=options, q=text, first=first
    )


def _ci_question(form_id: int | None, name: str) -> Variable:
    """The CI question ``name`` of form version ``form_id`` of an item the user may order.

    :raise NotFound: no such version or question, or an item not open to the user.
    """
    version = db.session.get(FormVersion, form_id) if form_id and 0 < form_id < 2**31 else None
    if version is not None and services.may_order(current_user, version.item):
        for variable in services.form_of(version):
            if variable.name == name and variable.type == VariableType.CI:
                return variable
    raise NotFound(_("There is no such question in the catalog."))


@bp.get("/cis")
@require("requests.order")
def ci_options() -> ResponseReturnValue:
    """``<option>``s of the CIs matching ``q`` that the CI question ``variable`` of form version
    ``form`` offers (the CI picker's search): only what an item the user may order offers.

    :raise 404: no such form version or CI question, or an item the user may not order.
    """
    text = (request.args.get("q") or "")[:200]
    variable = _ci_question(
        request.args.get("form", type=int), (request.args.get("variable") or "")[:40]
    )
    cis = portal_queries.cis_matching(text, variable)
    options = [(str(c.id), c.name, c.ci_class.label) for c in cis]
    return render_template("requests/order_picker_options.html", options=options, q=text)
