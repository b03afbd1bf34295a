"""Finding people by what someone remembers of them: part of the name, username or e-mail.

The people pickers (the ``people_picker`` macro and ``auth.people_search``) and the catalog's
person fields ask here. Reads only.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from app.auth.models import User
from app.extensions import db

MAX_WORDS = 4


def search_people(text: str, limit: int = 10) -> list[User]:
    """Active people whose name, username or e-mail contains every word of ``text``
    (case-insensitive; ``%`` and ``_`` match themselves), by name. No words: nobody."""
    words = (text or "").replace(",", " ").split()[:MAX_WORDS]
    if not words:
        return []
    query = select(User).where(User.is_active)
    for word in words:
        word = word[:100].lower()
        query = query.where(
            or_(
                func.lower(User.display_name).contains(word, autoescape=True),
                func.lower(User.username).contains(word, autoescape=True),
                func.lower(User.email).contains(word, autoescape=True),
            )
        )
    return list(db.session.scalars(query.order_by(User.display_name, User.id).limit(limit)))
