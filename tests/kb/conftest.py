"""Builders for knowledge tests: people in each part, and articles in each state."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.models import Group
from app.kb import services
from app.kb.models import Article
from app.kb.permissions import DEFAULT_MANAGER_GROUP


@pytest.fixture
def people(db: Any, make_user: Any) -> Any:
    """An author (agent), a knowledge manager (agent in the managers' group), an employee,
    an employee of the finance group, and the finance group."""
    author = make_user("author", roles=["agent"], display_name="Alma Author")
    manager = make_user("manager", roles=["agent"], display_name="Mona Manager")
    employee = make_user("emp", roles=["employee"], display_name="Erik Employee")
    finance_employee = make_user("fin", roles=["employee"], display_name="Fia Finance")
    managers = Group(name=DEFAULT_MANAGER_GROUP, is_assignment_group=False)
    managers.members.append(manager)
    finance = Group(name="Finance", is_assignment_group=False)
    finance.members.append(finance_employee)
    db.session.add_all([managers, finance])
    db.session.commit()

    class People:
        pass

    found = People()
    found.author, found.manager, found.employee = author, manager, employee
    found.finance_employee, found.finance = finance_employee, finance
    return found


@pytest.fixture
def make_article(db: Any, people: Any) -> Any:
    """``make_article("Printer jams", published=True, audience="it_staff")`` → an article."""

    def make(
        title: str = "Printer shows paper jam",
        body: str = "Open tray 2 and remove the paper.",
        *,
        published: bool = True,
        **fields: Any,
    ) -> Article:
        article = services.create_article(
            people.author, services.ArticleFields(title=title, body=body, **fields)
        )
        if published:
            services.submit_for_review(article, people.author)
            services.publish(article, people.manager)
        db.session.commit()
        return article

    return make
