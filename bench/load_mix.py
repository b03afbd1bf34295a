"""What ``bench/locustfile.py`` and ``bench/request_cpu.py`` share: the demo's employees and
their managers, and the forms of an HTML page as a browser would post them (CSRF and one-time
submission tokens, default values). Imports neither locust nor the desk."""

from __future__ import annotations

import itertools
import json
import random
from html.parser import HTMLParser
from pathlib import Path


class Forms(HTMLParser):
    """The forms of a page: each one's method, action and the values a browser would send
    untouched (hidden and text inputs, checked boxes, each select's selected or first
    option)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self.options: dict[str, list[str]] = {}  # each select's non-empty option values
        self._select: str | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("method", "get").lower(), a.get("action", ""), {}))
            return
        if not self.forms:
            return
        fields = self.forms[-1][2]
        if tag == "option" and self._select is not None:
            if a.get("value"):
                self.options.setdefault(self._select, []).append(a["value"])
            if "selected" in a or not self._chosen:
                fields[self._select] = a.get("value", "")
                self._chosen = "selected" in a
            return
        name = a.get("name")
        if not name:
            return
        kind = a.get("type", "text").lower()
        if tag == "input" and kind in {"checkbox", "radio"}:
            if "checked" in a:
                fields[name] = a.get("value", "y")
        elif tag == "input" and kind not in {"submit", "button", "file"}:
            fields[name] = a.get("value", "")
        elif tag == "textarea":
            fields[name] = ""
        elif tag == "select":
            self._select, self._chosen = name, False
            fields.setdefault(name, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_on(html: str, action: str, page: str) -> dict[str, str]:
    """The fields of the first post form of ``page`` whose action ends with ``action`` (a form
    without an action posts to its page); a select left on an empty choice gets one of its
    options (a person picks one where the form requires it).

    :raise LookupError: the page has no such form.
    """
    parser = Forms()
    parser.feed(html)
    for method, found, fields in parser.forms:
        if method == "post" and (found or page).split("?")[0].endswith(action):
            for name, value in fields.items():
                if not value and parser.options.get(name) and name.startswith("lines-"):
                    fields[name] = random.choice(parser.options[name])
            return dict(fields)
    raise LookupError(f"no form posting to {action!r}")


def employees_and_managers() -> tuple[list[str], list[str]]:
    """The demo's employees who manage nobody, taken in turn from each manager's reports, and
    their managers, those with most reports first (``demo/organisation.json``)."""
    people = json.loads((Path(__file__).parent.parent / "demo" / "organisation.json").read_text())
    manager_of = {p["username"]: p.get("manager") for p in people["people"]}
    managing = set(manager_of.values())
    reports: dict[str, list[str]] = {}
    for person in people["people"]:
        name, manager = person["username"], person.get("manager")
        if person["roles"] == ["employee"] and manager and name not in managing:
            reports.setdefault(manager, []).append(name)
    managers = sorted(reports, key=lambda m: -len(reports[m]))
    employees = [n for row in itertools.zip_longest(*(reports[m] for m in managers)) for n in row]
    return [n for n in employees if n], managers
