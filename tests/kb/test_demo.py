"""The demo knowledge base: loaded with the demo, once, with its audiences respected."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.demo import load_organisation, read_demo_file, read_organisation
from app.kb import services
from app.kb.demo import load_kb
from app.kb.models import Article
from app.kb.permissions import is_manager


def test_demo_articles_load_once_and_keep_their_audience(db: Any) -> None:
    load_organisation(read_organisation())
    data = read_demo_file("kb.json")
    assert load_kb(data) == len(data["articles"])
    assert load_kb(data) == 0
    db.session.commit()
    people = {u.username: u for u in db.session.scalars(select(User))}
    employee_sees = {
        a.title for a in db.session.scalars(services.readable_articles(people["employee"]))
    }
    assert "Reset a forgotten password" in employee_sees
    assert "Restart a stuck ERP batch job" not in employee_sees
    assert "Restart a stuck ERP batch job" in {
        a.title for a in db.session.scalars(services.readable_articles(people["agent"]))
    }
    swedish = next(a for a in db.session.scalars(select(Article)) if a.language == "sv")
    assert swedish.translation_of.title == "VPN does not connect from home"
    assert is_manager(people["owner"])
    assert not is_manager(people["agent"])


def test_the_demo_suggests_articles_that_fit_what_is_typed(db: Any) -> None:
    load_organisation(read_organisation())
    load_kb(read_demo_file("kb.json"))
    db.session.commit()
    employee = db.session.scalar(select(User).where(User.username == "employee"))

    def titles(typed: str) -> list[str]:
        return [a.title for a in services.suggest_articles(typed, employee)]

    assert titles("Intranet shows an error 500") == []  # the demo has no intranet article
    assert titles("printer shows a paper jam")[:1] == [
        "Printer shows paper jam but no paper is stuck"
    ]
    assert titles("Outlook keeps asking for my password")[:1] == [
        "Outlook keeps asking for my password"
    ]
    assert titles("my VPN does not work from home")[:1] == ["VPN does not connect from home"]
    assert titles("Computer stops charging")[:1] == ["Laptop does not charge"]
