"""The demo desk run as in production, its outbox on Redis and RQ: an employee reports a
problem in a real browser (the whole form, the service left at "I don't know"), the page
answers with the new number while the queue's notification waits on Redis, not delivered in
the request; a worker takes the job, and the agent's bell then shows the new ticket, which
leads to it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serving
from tests.browser.test_notifications import bell
from tests.browser.test_shell import sign_in, unexpected
from tests.browser.test_webhooks import tab_on
from tests.conftest import build_app, migrate
from tests.redis_server import private_redis  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_a_report_answers_at_once_and_its_receipt_comes_through_the_worker(
    browser: Any,
    tmp_path: Any,
    private_redis: Any,  # noqa: F811
) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from app.demo import load_demo
    from app.extensions import db
    from app.timeutils import utc_now

    app = build_app(
        f"sqlite:///{tmp_path / 'desk.sqlite3'}", tmp_path / "instance", REDIS_URL=private_redis.url
    )
    migrate(app)
    with app.app_context():
        load_demo(utc_now())
        db.session.commit()
        db.session.remove()
    connection = Redis.from_url(private_redis.url)
    queue = Queue("outbox", connection=connection)
    try:
        with serving(app) as url:
            agent, employee = tab_on(browser, url), tab_on(browser, url)
            sign_in(agent, "agent")
            agent.goto("/notifications")
            read_all = agent.get_by_role("button", name="Mark all read")
            if read_all.count():  # the demo leaves the agent some
                read_all.click()
            expect(bell(agent)).to_have_accessible_name("Notifications, 0 unread")

            sign_in(employee, "employee")
            employee.get_by_role("link", name="Report a problem").first.click()
            employee.get_by_label("What is wrong?").fill("The printer on floor 2 jams")
            employee.get_by_label("Details").fill("Every second page, since Monday.")
            employee.get_by_label("How much does it stop your work?").select_option(
                label="I can work, but slowly or partly"
            )
            employee.get_by_role("button", name="Send to the service desk").click()
            employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
            number = employee.url.rsplit("/", 1)[-1]
            expect(employee.get_by_text(f"registered as {number}")).to_be_visible()

            # The notification waits on the queue: nothing was delivered in the request.
            assert queue.count == 1
            agent.reload()
            expect(bell(agent)).to_have_accessible_name("Notifications, 0 unread")

            with app.app_context():  # the worker node
                SimpleWorker(["outbox"], connection=connection).work(burst=True)
            assert queue.count == 0

            agent.reload()
            expect(bell(agent)).to_have_accessible_name("Notifications, 1 unread")
            bell(agent).click()
            agent.wait_for_url(re.compile(r"/notifications$"))
            agent.get_by_role("link", name=re.compile(number)).first.click()
            agent.wait_for_url(re.compile(rf"/incidents/{number}$"))
            expect(agent.get_by_text("The printer on floor 2 jams").first).to_be_visible()
            assert unexpected(agent.console_errors) == []
            assert unexpected(employee.console_errors) == []
            for tab in (agent, employee):
                tab.context.close()
    finally:
        connection.connection_pool.disconnect()
        with app.app_context():
            db.engine.dispose()
