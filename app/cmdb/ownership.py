"""Business services and their owners: the CMDB's ``owner`` of a business service (a CI of
the class ``business_service`` or of one of its subclasses, as the impact engine counts them)
owns that service. Role homes read the services a person owns, and the incidents domain lets an
owner read the incidents reported against them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, or_, select

from app.cmdb.classes.tree import of_class
from app.cmdb.graph.vocabulary import BUSINESS_SERVICE
from app.cmdb.models import ConfigurationItem, Lifecycle
from app.extensions import db


def _owned(user_id: int) -> Select:
    return select(ConfigurationItem).where(
        of_class(BUSINESS_SERVICE),
        ConfigurationItem.owner_id == user_id,
        ConfigurationItem.status != Lifecycle.RETIRED,
    )


def owned_services(user_id: int) -> list[ConfigurationItem]:
    """The business services a person owns (retired ones left out), by name."""
    return list(db.session.scalars(_owned(user_id).order_by(ConfigurationItem.name)))


def owned_service(user_id: int, ci_id: int) -> ConfigurationItem | None:
    """The business service ``ci_id`` if this person owns it (and it is not retired)."""
    query = _owned(user_id).where(ConfigurationItem.id == ci_id)
    return db.session.scalar(query)


def owns_service(user_id: int, name: str | None, ci_ids: Iterable[int] = ()) -> bool:
    """Does this person own the business service called ``name``, or one of the CIs
    ``ci_ids``?"""
    ids = list(ci_ids)
    if not name and not ids:
        return False
    which = or_(ConfigurationItem.name == name, ConfigurationItem.id.in_(ids))
    query = _owned(user_id).where(which).limit(1)
    return db.session.scalar(query.with_only_columns(ConfigurationItem.id)) is not None
