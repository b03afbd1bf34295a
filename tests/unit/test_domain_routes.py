"""Each domain registers its own routes (issue 14): ``app/<domain>/__init__.py`` has a
``register(app)`` that imports its view modules, and the factory imports none of them.

The factory's source is parsed, not imported; a new domain with a blueprint that the factory
does not call ``register`` on fails here instead of serving 404s.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_factory_imports_no_view_module() -> None:
    views = sorted(n for n in _imported_modules(APP / "factory.py") if n.endswith("views"))
    assert views == [], "register routes in the domain's register(app), not in the factory"


def test_every_domain_with_a_blueprint_registers_itself() -> None:
    with_blueprint = {p.parent.name for p in APP.glob("*/views.py")}
    registering = {
        name.split(".")[1]
        for name in _imported_modules(APP / "factory.py")
        if name.startswith("app.") and (APP / name.split(".")[1] / "__init__.py").is_file()
    }
    assert with_blueprint <= registering
    for domain in with_blueprint:
        tree = ast.parse((APP / domain / "__init__.py").read_text(encoding="utf-8"))
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "register" in functions, f"app/{domain}/__init__.py has no register(app)"
