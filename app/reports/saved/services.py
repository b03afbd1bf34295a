"""Saved views: save a report page's filters under a name, list, rename, delete and open them.
Personal: every function takes the owner and finds only their views. Services flush, never
commit."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.errors import Invalid, NotFound
from app.extensions import db
from app.forms import clean_text
from app.reports.saved.models import SavedView

NAME_LENGTH = 80
QUERY_LENGTH = 2000
#: Query arguments that belong to one request, not to a view: never saved.
TRANSIENT_ARGS = frozenset({"csrf_token", "export", "format", "page", "name", "endpoint"})
#: The reports blueprint's own pages that are no report to save.
NOT_SAVABLE = frozenset({"reports.saved_views", "reports.weekly_unsubscribe"})


def is_savable(endpoint: str) -> bool:
    """Whether ``endpoint`` is a report page that can be saved: a GET route of the reports
    blueprint that needs no URL values."""
    if not endpoint.startswith("reports.") or endpoint in NOT_SAVABLE:
        return False
    if endpoint not in current_app.view_functions:
        return False
    return any(
        "GET" in (rule.methods or ()) and not rule.arguments
        for rule in current_app.url_map.iter_rules(endpoint)
    )


def clean_query(query: str) -> str:
    """The filters of a query string (``?`` and per-request arguments left out), in order.

    :raise Invalid: longer than a view keeps (field ``query``).
    """
    pairs = [
        (key, value)
        for key, value in parse_qsl(clean_text(query).lstrip("?"), keep_blank_values=True)
        if key not in TRANSIENT_ARGS
    ]
    text = urlencode(pairs)
    if len(text) > QUERY_LENGTH:
        raise Invalid(
            {
                "query": _(
                    "These filters are too long to save (%(most)s at most).", most=QUERY_LENGTH
                )
            }
        )
    return text


def _clean_name(owner: User, name: str, *, keep: SavedView | None = None) -> str:
    name = " ".join(clean_text(name).split())
    if not name:
        raise Invalid({"name": _("Give the view a name.")})
    if len(name) > NAME_LENGTH:
        raise Invalid({"name": _("A name has at most %(most)s characters.", most=NAME_LENGTH)})
    taken = db.session.scalar(
        select(SavedView.id).where(SavedView.owner_id == owner.id, SavedView.name == name)
    )
    if taken is not None and (keep is None or taken != keep.id):
        raise Invalid({"name": _("You already have a saved view named '%(name)s'.", name=name)})
    return name


def views_of(owner: User, endpoint: str | None = None) -> list[SavedView]:
    """The owner's saved views (of one page when ``endpoint`` is given), by name."""
    query = select(SavedView).where(SavedView.owner_id == owner.id)
    if endpoint is not None:
        query = query.where(SavedView.endpoint == endpoint)
    return list(db.session.scalars(query.order_by(SavedView.name)))


def get_view(owner: User, view_id: int) -> SavedView:
    """The owner's saved view ``view_id``.

    :raise NotFound: no such view of theirs (another's is not found either).
    """
    view = db.session.get(SavedView, view_id)
    if view is None or view.owner_id != owner.id:
        raise NotFound(_("You have no saved view with this number."))
    return view


def save_view(owner: User, *, name: str, endpoint: str, query: str) -> SavedView:
    """Save the report page ``endpoint`` with the filters of ``query`` as ``name``.

    :raise Invalid: no name, a name the owner already uses, a page that is no report, filters
        too long.
    """
    if not is_savable(endpoint):
        raise Invalid({"endpoint": _("Only a report page can be saved as a view.")})
    view = SavedView(
        owner_id=owner.id,
        name=_clean_name(owner, name),
        endpoint=endpoint,
        query=clean_query(query),
    )
    db.session.add(view)
    db.session.flush()
    return view


def rename_view(view: SavedView, name: str) -> SavedView:
    """Rename ``view``.

    :raise Invalid: no name, or one its owner already uses for another view.
    """
    view.name = _clean_name(view_owner(view), name, keep=view)
    db.session.flush()
    return view


def delete_view(view: SavedView) -> None:
    """Delete ``view`` (and the weekly mails of it, by the database's cascade)."""
    db.session.delete(view)
    db.session.flush()


def view_owner(view: SavedView) -> User:
    owner = db.session.get(User, view.owner_id)
    assert owner is not None  # the foreign key cascades
    return owner


def view_url(view: SavedView) -> str:
    """The address of the view: its page with its filters.

    :raise NotFound: the page it was saved from no longer exists.
    """
    if view.endpoint not in current_app.view_functions:
        raise NotFound(
            _("The report page of '%(name)s' no longer exists; delete the view.", name=view.name)
        )
    base = url_for(view.endpoint)
    return f"{base}?{view.query}" if view.query else base
