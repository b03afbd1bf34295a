"""Demo knowledge articles from ``demo/kb.json``: categories and published articles (one
IT-only, one for Finance). The demo organisation has the knowledge managers' group, with the
service owner in it.
Loading again adds only what is missing, by title."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth.models import Group, User
from app.cmdb.models import ConfigurationItem
from app.extensions import db
from app.kb import services
from app.kb.models import Article, KbCategory


def load_kb(data: dict[str, Any]) -> int:
    """Load the demo articles; returns how many were added (flushes, the caller commits)."""
    people = {u.username: u for u in db.session.scalars(select(User))}
    categories = {c.name: c for c in db.session.scalars(select(KbCategory))}
    for name in data["categories"]:
        if name not in categories:
            categories[name] = KbCategory(name=name)
            db.session.add(categories[name])
    db.session.flush()
    numbers = {a.title: a.number for a in db.session.scalars(select(Article))}
    existing = set(numbers)
    approver = people.get("admin")
    added = 0
    for entry in data["articles"]:
        author = people.get(entry["author"])
        if entry["title"] in existing or author is None or approver is None:
            continue
        group = db.session.scalar(select(Group).where(Group.name == entry.get("group", "")))
        ci_ids = list(
            db.session.scalars(
                select(ConfigurationItem.id).where(ConfigurationItem.name.in_(entry["services"]))
            )
        )
        article = services.create_article(
            author,
            services.ArticleFields(
                title=entry["title"],
                body=entry["body"],
                keywords=entry["keywords"],
                category_id=categories[entry["category"]].id,
                audience=entry.get("audience", "everyone"),
                audience_group_id=group.id if group else None,
                ci_ids=ci_ids,
                language=entry.get("language", "en"),
                # A language version names its original by title (listed before it).
                translation_of=numbers.get(entry.get("translation_of", ""), ""),
            ),
        )
        numbers[article.title] = article.number
        services.submit_for_review(article, author)
        services.publish(article, approver)
        added += 1
    return added
