"""CIs in the search index, for IT staff only (``cmdb.browse``): the name as title; class,
identifiers, model, location and description as body."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, false, select

from app.cmdb.models import CIClass, ConfigurationItem
from app.extensions import db
from app.i18n import N_
from app.policy import can
from app.search.sources import Document, Source

CI = ConfigurationItem


def _documents(ids: Sequence[int]) -> Iterator[Document]:
    rows = db.session.execute(
        select(
            CI.id,
            CI.name,
            CIClass.label,
            CI.asset_tag,
            CI.serial_number,
            CI.model,
            CI.environment,
            CI.location,
            CI.description,
        )
        .join(CIClass, CIClass.id == CI.class_id)
        .where(CI.id.in_(ids))
    )
    for ci_id, name, class_label, *details, description in rows:
        facts = " · ".join(str(d) for d in (class_label, *details) if d)
        yield Document(
            source_id=ci_id, kind="ci", ref=name, title=name, body=f"{facts}\n{description}".strip()
        )


def _visible(user: Any) -> ColumnElement[bool] | None:
    return None if can(user, "cmdb.browse") else false()


SOURCE = Source(
    name="ci",
    label=N_("Configuration items"),
    watch={CI: lambda ci: ci.id},
    documents=_documents,
    all_ids=lambda: select(CI.id).order_by(CI.id),
    visible=_visible,
    sees_notes=lambda _user: True,
    url=lambda document, _user: url_for("cmdb.detail", ci_id=document.source_id),
)
