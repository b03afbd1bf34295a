"""Sustained load on the desk with locust (headless): agents, employees and approvers of the
demo organisation doing what they do all day, through HTTP only.

- agents (3 in 9): the queue console, incident pages picked from it, search, a work note;
- employees (5 in 9): "my tickets", reporting a problem, the catalog, ordering an item;
- approvers (1 in 9): their approvals list, deciding one of the waiting approvals at random.

Employees and approvers are the demo's one employee and their manager, or, with
``DESKGRAPH_LOCUST_EVERYONE=1`` (``bench.load_two_nodes`` sets it), 26 employees and their 12
managers, each approver deciding the orders of their own reports.

Every form is read from its page (CSRF and one-time submission tokens, default values) and
posted as a browser would. An answer other than the expected one (a 5xx, a refused form, a
redirect to the sign-in page) is a failure in locust's statistics.

Against a node with the demo loaded (``flask --app wsgi deskgraph demo load``; every demo
account's password is ``deskgraph-demo``)::

    locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000 \\
        --users 50 --spawn-rate 5 --run-time 5m --csv instance/locust

Several nodes: ``DESKGRAPH_LOCUST_HOSTS=http://127.0.0.1:8101,http://127.0.0.1:8102`` gives
each simulated person one of them in turn (``--host`` is then only the default);
``python -m bench.load_two_nodes`` starts two nodes and runs this file against both.

Each person is a ``FastHttpUser`` (geventhttpclient, which ships with locust): it keeps the
cookies, follows redirects (an answer's ``url`` is the redirected one) and costs the load
generator a fraction of the CPU of ``HttpUser`` (python-requests), which matters when locust
runs on the nodes' cores.

locust is pinned in requirements-dev.txt (its gevent never loads in the app's processes).
"""

from __future__ import annotations

import itertools
import os
import random
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

from locust import FastHttpUser, between, task

from bench.load_mix import employees_and_managers, form_on

PASSWORD = "deskgraph-demo"
INCIDENT = re.compile(r'href="/incidents/(INC\d+)"')
APPROVAL = re.compile(r'href="/requests/approvals/(\d+)"')
# a refused form's message, flashed at the top of the page it renders again
REFUSAL = re.compile(r'class="alert alert-danger[^"]*"[^>]*>\s*<i [^>]*></i>([^<]*)<')
DECIDED_LATELY = 'id="decided-title"'  # the approvals page's second part (links to decided ones)
# Each person signs in on the next node of the list (sessions are signed cookies: any node
# serves any person).
HOSTS = itertools.cycle(
    [h.strip() for h in os.environ.get("DESKGRAPH_LOCUST_HOSTS", "").split(",") if h.strip()]
    or [None]
)
WORDS = ["printer", "vpn", "outlook", "laptop", "password", "teams", "wifi", "scanner"]


# With DESKGRAPH_LOCUST_EVERYONE=1 (every demo person can sign in: bench.load_seed gives them
# the demo password) employees and approvers are many people, each approver a manager deciding
# their own reports' orders, as in an office. Otherwise the demo's own sign-ins: one employee
# and one manager, whom every simulated employee and approver then share.
EMPLOYEES, MANAGERS = (
    employees_and_managers()
    if os.environ.get("DESKGRAPH_LOCUST_EVERYONE") == "1"
    else (["employee"], ["l.marchetti"])
)


class Person(FastHttpUser):
    abstract = True
    username = ""
    wait_time = between(1, 5)

    people: Iterator[str] | None = None  # the accounts the instances of a class sign in as, in turn

    def on_start(self) -> None:
        if self.people is not None:
            self.username = next(self.people)
        host = next(HOSTS)
        if host:
            self.client.base_url = host
        page = self.page("/login")
        fields = form_on(page, "/login", "/login")
        fields.update(username=self.username, password=PASSWORD)
        with self.client.post("/login", data=fields, catch_response=True) as answer:
            if "/login" in answer.url:
                answer.failure(f"{self.username} could not sign in")

    def page(self, url: str, name: str | None = None) -> str:
        """The text of the page at ``url`` (``name`` in the statistics; empty without a body)."""
        return self.client.get(url, name=name).text or ""

    def post_form(self, page_url: str, action: str, name: str, **values: Any) -> Any:
        """Read the form of ``page_url`` posting to ``action``, change ``values``, post it; a
        refused form (4xx) or a server error is a failure."""
        page = self.page(page_url, name=f"{name} (form)")
        fields = form_on(page, action, page_url)
        fields.update({k: str(v) for k, v in values.items()})
        return self.submit(action, fields, name)

    def submit(self, action: str, fields: dict[str, str], name: str) -> Any:
        with self.client.post(action, data=fields, name=name, catch_response=True) as answer:
            if answer.status_code >= 400 or "/login" in answer.url:
                # the request's name and the page's message with its numbers masked: one failure
                # row per kind of refusal, which says what it was
                said = REFUSAL.search(answer.text or "")
                reason = re.sub(r"\d+", "#", " ".join(unescape(said[1]).split())) if said else ""
                answer.failure(f"{answer.status_code} at {name}: {reason}".rstrip(": "))
            return answer


class Agent(Person):
    weight = 3
    username = "agent"

    def _an_incident(self) -> str | None:
        console = self.page("/incidents/?view=open", name="/incidents/ (console)")
        numbers = INCIDENT.findall(console)
        return random.choice(numbers) if numbers else None

    @task(4)
    def console_and_page(self) -> None:
        number = self._an_incident()
        if number:
            self.client.get(f"/incidents/{number}", name="/incidents/[number]")

    @task(2)
    def search(self) -> None:
        self.client.get(f"/search?q={random.choice(WORDS)}", name="/search?q=[word]")

    @task(1)
    def work_note(self) -> None:
        number = self._an_incident()
        if number:
            self.post_form(
                f"/incidents/{number}",
                f"/incidents/{number}/comment",
                "/incidents/[number]/comment",
                body="Checked with the user; looking at the logs.",
            )


class Employee(Person):
    weight = 5
    people = itertools.cycle(EMPLOYEES)

    @task(4)
    def my_tickets(self) -> None:
        self.client.get("/incidents/mine")

    @task(1)
    def report(self) -> None:
        self.post_form(
            "/incidents/report",
            "/incidents/report",
            "/incidents/report",
            short_description=f"{random.choice(WORDS).capitalize()} does not work",
            urgency="3",
        )

    @task(2)
    def catalog(self) -> None:
        self.client.get("/requests/catalog")

    @task(1)
    def order(self) -> None:
        """Order the demo's "Software installation" (a choice and a reason)."""
        catalog = self.page("/requests/catalog")
        found = re.search(r'href="/requests/catalog/(\d+)"[^>]*>\s*Software installation', catalog)
        if found:
            item = found[1]
            self.post_form(
                f"/requests/catalog/{item}",
                f"/requests/catalog/{item}",
                "/requests/catalog/[id]",
                **{"lines-0-reason": "Needed for the quarterly report"},
            )


class Approver(Person):
    weight = 1
    people = itertools.cycle(MANAGERS)

    @task
    def approvals(self) -> None:
        """The list, then one of the approvals waiting for a decision, picked at random, and
        approved.

        Approvers who share a manager's list (all of them without DESKGRAPH_LOCUST_EVERYONE,
        some at 200 users with it) would all pick "the first waiting one" at once. One picked at
        random may still have been decided since the list was read: its page then has no
        decision form and the approver moves on, as a person would. A decision posted at the
        very moment another one lands is refused (409, the desk's answer to a stale decision)
        and counted as a failure.
        """
        listing = self.page("/requests/approvals")
        waiting = APPROVAL.findall(listing.split(DECIDED_LATELY)[0])
        if not waiting:
            return
        url = f"/requests/approvals/{random.choice(waiting)}"
        page = self.page(url, name="/requests/approvals/[id]")
        try:
            fields = form_on(page, f"{url}/decide", url)
        except LookupError:
            return  # decided since the list was read
        fields.update(decision="approve", comment="")
        self.submit(f"{url}/decide", fields, "/requests/approvals/[id]/decide")
