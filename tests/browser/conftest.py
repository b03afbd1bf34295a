"""A live Deskgraph (SQLite, the whole demo: organisation, CMDB, incidents, SLA, catalog)
and Debian's headless Chromium via Playwright.

Chromium comes from the system (``/usr/bin/chromium``, installed by scripts/test); Playwright
never downloads a browser. Screenshots of each test land in ``test-results/`` for review.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import STRICT, build_app, migrate

CHROMIUM = os.environ.get("DESKGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """The app's own access log is enough."""


def closing_early(app: Any) -> Any:
    """``app`` with each response read whole and closed before it is sent.

    Werkzeug's development server closes a response only after draining the socket; when the
    browser drops a connection (leaving a page while an icon font downloads), that read fails
    and the open static file is left to the garbage collector, whose ResourceWarning then
    fails whichever test runs next. The test server's responses are small: buffer them."""

    def wsgi(environ: Any, start_response: Any) -> Any:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, closing_early(app), threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The application ``live_server`` serves, its database holding the demo: for a journey
    that needs what only the server can make (a signed link from a mail, say)."""
    from app.demo import load_demo
    from app.extensions import db
    from app.timeutils import utc_now

    folder = tmp_path_factory.mktemp("live")
    app = build_app(f"sqlite:///{folder / 'live.sqlite3'}", folder / "instance")
    migrate(app)
    with app.app_context():
        load_demo(utc_now())  # the demo the README advertises, as `scripts/run` loads it
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)"
        if STRICT:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def snapshots(prefix: str) -> Callable[[Any, str], None]:
    """A journey's screenshots: ``snap = snapshots("journey-")`` then ``snap(tab, "2-saved")``
    writes ``test-results/journey-2-saved.png`` (the whole page)."""

    def snap(tab: Any, name: str) -> None:
        RESULTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(RESULTS / f"{prefix}{name}.png"), full_page=True)

    return snap


def new_tab(browser: Any, live_server: str) -> Any:
    """A page in its own browser context (its own sign-in), for journeys with several people;
    console errors are collected in ``tab.console_errors``."""
    tab = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    tab = tab.new_page()
    tab.set_default_timeout(10_000)
    tab.console_errors = []
    tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    return tab


def open_section(tab, title: str) -> None:
    """Unfold one of the incident page's folding sections, as a person does: click its title."""
    tab.wait_for_load_state()  # Bootstrap's collapse handler is attached once scripts ran
    toggle = tab.locator(".dg-fold-toggle", has_text=title).first
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    # The section is open once Bootstrap's transition ends (class "collapse show").
    expect(tab.locator("#" + toggle.get_attribute("aria-controls"))).to_have_class(
        re.compile(r"(^|\s)show(\s|$)")
    )


@pytest.fixture
def page(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; console errors (a CSP violation, a missing asset) fail the test."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.console_errors = errors
    yield tab
    RESULTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)
    context.close()
