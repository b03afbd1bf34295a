"""Finds strings people read that are not marked for translation: text and visible attributes
of templates outside ``{% trans %}`` and ``_()``, label-like literals in template expressions,
and literals given to ``flash``, form fields and validators, and the desk's errors in Python."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

APP = Path(__file__).resolve().parents[2] / "app"
# Words that read the same in every language: the product, protocols, formats and numbers.
UNTRANSLATED_WORDS = frozenset(
    [
        "Deskgraph",
        "API",
        "CSV",
        "JSON",
        "XLSX",
        "PDF",
        "SLA",
        "SLAs",
        "CI",
        "CIs",
        "CMDB",
        "LDAP",
        "IMAP",
        "SMTP",
        "URL",
        "ID",
        "REQ",
        "RITM",
        "INC",
        "SCTASK",
        "OpenAPI",
        "Swagger",
        "ServiceNow",
        "NetBox",
        "iTop",
        "Prometheus",
        "htmx",
        "RQ",
        "p50",
        "p90",
        "p95",
        "UTC",
        "DN",
        "OK",
        "Bearer",
        "HMAC",
        "SHA",
        "Fernet",
        "MTA",
        "DKIM",
        "SPF",
        "TLS",
        "IP",
        "HTTP",
        "HTTPS",
    ]
)
VISIBLE_ATTRIBUTES = frozenset(
    {"title", "placeholder", "aria-label", "alt", "data-confirm", "label", "aria-description"}
)
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]+")
# A capitalised word ("Save", "Saved.") or an acronym followed by words ("SLA breached").
_LABEL_LITERAL = re.compile(r"^(?:[A-Z][a-z]+(?:[ ,.:!?…].*)?|[A-Z]{2,}s? .*[a-z].*)$", re.S)


def needs_translation(text: str) -> bool:
    words = [w for w in _WORD.findall(text) if w not in UNTRANSLATED_WORDS]
    return bool(words)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.raw = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.raw += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and needs_translation(value):
                self.found.append((self.getpos()[0], f"{name}={value!r}"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.raw:
            self.raw -= 1

    def handle_data(self, data: str) -> None:
        if not self.raw and needs_translation(data):
            self.found.append((self.getpos()[0], data.strip()))


# Calls whose arguments are messages (their literals are marked, not shown as they are).
TRANSLATING = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext", "_l"})


def _unquote(literal: str) -> str:
    try:
        text = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return literal
    return text if isinstance(text, str) else literal


def template_problems(source: str, env: Environment) -> list[tuple[int, str]]:
    """(line, text) of what a template shows untranslated."""
    problems: list[tuple[int, str]] = []
    skeleton: list[str] = []
    in_trans = False
    block_name_next = False
    previous: list[str] = []
    # Open brackets of the expression; True where a translation call opened it.
    brackets: list[bool] = []
    # The literals a conditional shows (``{{ 'open' if x else 'closed' }}``, at the top of an
    # expression) stand in the skeleton for it, so that they are found where people read them
    # (text, a visible attribute) and not where they do not (a class, a URL).
    shown: list[str] = []
    placeholder = -1
    last_string = ""
    for lineno, kind, value in env.lex(source):
        if kind == "string":  # the lexer gives the literal as written, quotes and all
            value = _unquote(value)
        if kind == "block_begin":
            block_name_next = True
        elif kind == "name" and block_name_next:
            block_name_next = False
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        elif kind != "whitespace":
            block_name_next = False
        if kind in ("variable_begin", "block_begin"):
            brackets = []
        elif kind == "operator" and value in "([{":
            brackets.append(value == "(" and previous[-1:] != [] and previous[-1] in TRANSLATING)
        elif kind == "operator" and value in ")]}" and brackets:
            brackets.pop()
        top = not brackets
        # What a page shows, with every expression as "0" (no words) and tags left out, so
        # that HTML around expressions still parses.
        if kind == "data":
            skeleton.append("0" if in_trans else value)
        elif kind == "variable_begin" and not in_trans:
            skeleton.append("0")
            placeholder, shown = len(skeleton) - 1, []
        elif kind == "variable_end" and placeholder >= 0:
            if shown:
                skeleton[placeholder] = " ".join(t.replace("\n", " ") for t in shown)
            placeholder = -1
        elif kind == "name" and value == "if" and previous[-1:] == ["string"] and top:
            shown.append(last_string)  # 'A' if …
        elif kind == "string" and previous[-1:] == ["else"] and top:
            shown.append(value)  # … else 'B'
        if kind == "string":
            last_string = value
        label = kind == "string" and _LABEL_LITERAL.match(value) and needs_translation(value)
        if label and not (in_trans or any(brackets)):
            problems.append((lineno, f"literal {value!r}"))
        if kind not in ("whitespace",):
            previous = (previous + [value if kind in ("name", "operator") else kind])[-3:]
        skeleton.append("\n" * str(value).count("\n") if kind != "data" else "")
    parser = _Visible()
    parser.feed("".join(skeleton))
    parser.close()
    return problems + parser.found


def templates(package: str) -> Iterator[Path]:
    base = APP / package if package else APP
    yield from sorted((base / "templates").rglob("*.html"))
    yield from sorted((base / "templates").rglob("*.txt"))


# Calls whose string arguments people read.
MESSAGE_CALLS = frozenset({"flash", "saved", "Invalid", "Conflict", "Forbidden", "NotFound"})
VALIDATORS = frozenset(
    {
        "DataRequired",
        "InputRequired",
        "Length",
        "NumberRange",
        "EqualTo",
        "Email",
        "Optional",
        "Regexp",
        "URL",
        "AnyOf",
        "NoneOf",
        "ValidationError",
    }
)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _visible_literals(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, ast.JoinedStr):
        yield node
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        label_like = " " in node.value.strip() or _LABEL_LITERAL.match(node.value)
        if label_like and needs_translation(node.value):
            yield node
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _visible_literals(value)
    elif isinstance(node, ast.List | ast.Tuple):
        for item in node.elts:
            yield from _visible_literals(item)
    elif isinstance(node, ast.IfExp):
        yield from _visible_literals(node.body)
        yield from _visible_literals(node.orelse)


def python_problems(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in MESSAGE_CALLS or name.endswith("Field"):
            args = (
                node.args[:1] if name.endswith("Field") or name in ("flash", "saved") else node.args
            )
            keywords = [
                k.value for k in node.keywords if k.arg in ("label", "message", "description")
            ]
        elif name in VALIDATORS:
            args = node.args[1:] if name == "EqualTo" else node.args
            keywords = [k.value for k in node.keywords if k.arg == "message"]
        else:
            continue
        for arg in [*args, *keywords]:
            for literal in _visible_literals(arg):
                problems.append((literal.lineno, f"{name}(…{ast.unparse(literal)[:60]}…)"))
    return problems


def python_files(package: str) -> Iterator[Path]:
    if package:
        yield from sorted((APP / package).rglob("*.py"))
    else:
        yield from sorted(APP.glob("*.py"))
