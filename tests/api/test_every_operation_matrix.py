"""Every API operation has a case in some authorization matrix (tests/api/test_*_matrix.py)."""

from __future__ import annotations

import importlib
from pathlib import Path


def _matrix_cases() -> set[tuple[str, str]]:
    covered = set()
    for path in sorted(Path(__file__).parent.glob("test_*_matrix.py")):
        module = importlib.import_module(f"tests.api.{path.stem}")
        covered |= {(c.endpoint, c.method) for c in getattr(module, "CASES", [])}
    return covered


def test_every_operation_is_in_a_matrix(app):
    operations = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if hasattr(app.view_functions[rule.endpoint], "api_scope")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert operations
    assert operations - _matrix_cases() == set()
