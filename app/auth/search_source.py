"""People in the search index (active accounts), for whoever may search people: name as
title, username and job title for all, contact details (e-mail, department, phone, location)
as notes, which only those who see contact details search (``sees_contact_details``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, false, select

from app.auth.models import User
from app.auth.permissions import sees_contact_details
from app.extensions import db
from app.i18n import N_
from app.policy import can
from app.search.sources import Document, Source


def _documents(ids: Sequence[int]) -> Iterator[Document]:
    people = db.session.scalars(select(User).where(User.id.in_(ids), User.is_active))
    for person in people:
        # PostgreSQL's parser keeps an address whole; its parts make it findable by domain.
        email = f"{person.email} {person.email.replace('@', ' ')}" if person.email else None
        contact = (email, person.department, person.phone, person.location)
        yield Document(
            source_id=person.id,
            kind="person",
            ref=person.username,
            title=person.display_name,
            body=" · ".join(p for p in (person.username, person.title) if p),
            notes=" · ".join(p for p in contact if p),
        )


def _visible(user: Any) -> ColumnElement[bool] | None:
    return None if can(user, "people.search") else false()


def _url(document: Any, user: Any) -> str | None:
    if can(user, "admin.users"):
        return url_for("admin.user", user_id=document.source_id)
    return None


SOURCE = Source(
    name="person",
    label=N_("People"),
    watch={User: lambda person: person.id},
    documents=_documents,
    all_ids=lambda: select(User.id).where(User.is_active).order_by(User.id),
    visible=_visible,
    sees_notes=sees_contact_details,
    url=_url,
    fields={
        User: frozenset(
            {"username", "display_name", "title", "email", "department", "phone", "location"}
            | {"is_active"}
        )
    },
)
