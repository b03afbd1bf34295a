"""The form walk: every GET form submitted the way a browser submits it (every field, the
defaults and the empty "Any" values included) by each role that can see it: no 4xx or 5xx, no
"not understood", and the list is really filtered.

Each entry of ``WALKS`` is one form on one page for one role; add entries for new forms.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import pytest

from tests.browser.test_console import report
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = uuid.uuid4().hex[:6]  # in the incidents this module reports, so searches find only them


@dataclass(frozen=True)
class Walk:
    """Sign in as ``role``, open ``url``, fill ``values`` (field name → text, ``{token}``
    replaced) in the form ``form``, press Enter in the first field filled."""

    role: str
    url: str
    form: str
    values: dict[str, str]
    rows: str = "table tbody tr"  # the results; each must contain the first value
    row_text: str = "td"  # where in a row the searched text is shown
    listed: bool = True  # at least one row is expected
    hidden: tuple[str, ...] = field(default=())  # texts the filter must leave out

    def __str__(self) -> str:
        return f"{self.role}:{self.url}"


CONSOLE = "form[aria-label='Filter the queue']"
SEARCH = {"q": "nebula-{token}"}
OTHER = ("quasar-{token}",)
CIS = "form[aria-label='Filter configuration items']"
WALKS = [
    *(
        Walk("agent", f"/incidents/?view={view}", CONSOLE, SEARCH, listed=listed, hidden=OTHER)
        for view, listed in (("open", True), ("all", True), ("mine", False), ("unassigned", False))
    ),
    Walk("agent", "/incidents/?kind=incident", CONSOLE, SEARCH, hidden=OTHER),
    Walk("agent", "/incidents/?kind=catalog_task", CONSOLE, SEARCH, listed=False, hidden=OTHER),
    *(
        Walk(role, "/cmdb/", CIS, {"q": "esx"}, row_text="td:first-child", hidden=("vpn-gw-01",))
        for role in ("agent", "owner", "admin")
    ),
    Walk("admin", "/admin/users", "form[aria-label='Filter people']", {"q": "schultz"}),
    *(
        Walk(role, "/admin/groups", "form[aria-label='Search groups']", {"q": "desk"})
        for role in ("agent", "owner", "admin")
    ),
]


@pytest.fixture(scope="module")
def reported(browser, live_server) -> list[str]:
    """Two incidents reported by the demo employee, one to find and one to leave out."""
    context = browser.new_context(base_url=live_server)
    employee = context.new_page()
    sign_in(employee, "employee")
    employee.wait_for_url(re.compile(r"/$"))
    numbers = [
        report(employee, text)
        for text in (
            f"Wi-Fi drops in room nebula-{TOKEN}",
            f"Projector dead in room quasar-{TOKEN}",
        )
    ]
    context.close()
    return numbers


@pytest.mark.parametrize("walk", WALKS, ids=str)
def test_get_forms_submitted_by_a_browser(page, reported, walk: Walk):
    sign_in(page, walk.role)
    page.wait_for_url(re.compile(r"/$"))
    page.wait_for_load_state("networkidle")  # cut no download short: each page settles
    page.goto(walk.url)
    page.wait_for_load_state("networkidle")
    form = page.locator(walk.form)
    values = {name: text.format(token=TOKEN) for name, text in walk.values.items()}
    for name, text in values.items():
        form.locator(f"[name='{name}']").fill(text)
    with page.expect_navigation() as navigation:
        form.locator(f"[name='{next(iter(values))}']").press("Enter")
    response = navigation.value
    page.wait_for_load_state("networkidle")
    assert response.status < 400, f"{walk}: {response.status} for {response.url}"
    assert page.get_by_text(re.compile("not understood", re.IGNORECASE)).count() == 0
    first, searched = next(iter(values.items()))
    rows = page.locator(walk.rows).evaluate_all(
        "(rows, cells) => rows.map(r => [...r.querySelectorAll(cells)]"
        ".map(c => c.textContent).join(' '))",
        walk.row_text,
    )
    if walk.listed:
        assert rows, f"{walk}: nothing found for {searched!r}"
    for text in rows:  # every row shown matches the search
        assert searched.lower() in " ".join(text.split()).lower(), f"{walk}: {text!r}"
    for text in walk.hidden:
        assert text.format(token=TOKEN) not in page.content(), walk
    assert form.locator(f"[name='{first}']").input_value() == searched  # shown as it ran
    assert unexpected(page.console_errors) == []
