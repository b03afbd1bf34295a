"""Content an administrator names (a category) reads in the reader's language when it has a
translation, and in English otherwise."""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import force_locale

from app.i18n.content import translated, with_translation


def test_a_swedish_reader_sees_the_swedish_name_and_others_the_english(app):
    network = SimpleNamespace(name="Network", translations={"sv": {"name": "Nätverk"}})
    with app.test_request_context():
        with force_locale("sv"):
            assert translated(network, "name") == "Nätverk"
        with force_locale("en"):
            assert translated(network, "name") == "Network"


def test_without_a_translation_the_english_name_shows(app):
    hardware = SimpleNamespace(name="Hardware", translations={"sv": {"name": "  "}})
    untouched = SimpleNamespace(name="Software", translations=None)
    with app.test_request_context(), force_locale("sv"):
        assert translated(hardware, "name") == "Hardware"
        assert translated(untouched, "name") == "Software"


def test_setting_and_clearing_a_translation_leaves_the_original_alone():
    original = {"sv": {"name": "Nätverk"}}
    changed = with_translation(original, "sv", "name", " Nät ")
    assert changed == {"sv": {"name": "Nät"}}
    assert original == {"sv": {"name": "Nätverk"}}
    assert with_translation(changed, "sv", "name", "") == {}
