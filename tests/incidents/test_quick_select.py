"""The incident forms' selects (``QuickSelect``) write exactly the HTML WTForms' ``Select``
writes: the same options, values and labels escaped the same way, the same one selected."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectChoice, SelectField
from wtforms.widgets import Select

from app.form_controls import QuickSelect, QuickSelectField

CHOICES = [
    SelectChoice("", "—"),
    SelectChoice("7", 'Network & "Wi-Fi" <team>'),
    SelectChoice("8", _l("Printers")),
    SelectChoice("9", ""),  # no label: the value is shown
    SelectChoice("x", "Marked", render_kw={"data_hint": "yes"}),
]


class Both(Form):
    plain = SelectField("Group", choices=CHOICES)
    quick = QuickSelectField("Group", choices=CHOICES)


def test_quick_select_writes_what_wtforms_writes(app):
    with app.test_request_context():
        for chosen in ("", "7", "9", "x", "absent"):
            form = Both(data={"plain": chosen, "quick": chosen})
            quick = form.quick(class_="form-select", aria_describedby="help")
            plain = form.plain(class_="form-select", aria_describedby="help")
            assert str(quick).replace('"quick"', '"plain"') == str(plain)
            assert ("selected" in str(quick)) is (chosen != "absent")
        assert "&#34;Wi-Fi&#34; &lt;team&gt;" in str(Both().quick())


def test_incident_forms_use_the_quick_select():
    assert isinstance(QuickSelectField.widget, QuickSelect)
    assert issubclass(QuickSelect, Select)
