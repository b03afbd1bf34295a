"""The lint of unmarked strings finds what people read and leaves markup alone."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from tests.i18n import lint

ENV = Environment(extensions=["jinja2.ext.i18n"])


@pytest.mark.parametrize(
    "template",
    [
        "<p>{{ x or 'Nothing here' }}</p>",
        "{% call header(_('Import'), 'CSV files of CIs. Checked first.') %}{% endcall %}",
        "<p>{{ macro('SLA breached') }}</p>",
        "<p>{{ name if name else 'system' }}</p>",
        "<i aria-label=\"{{ 'ascending' if up else 'descending' }}\"></i>",
        "<td>{{ 'yes' if ok }}</td>",
    ],
)
def test_shown_literals_are_found(template):
    assert lint.template_problems(template, ENV) != []


@pytest.mark.parametrize(
    "template",
    [
        "<p>{{ _('Nothing here') }}</p>",
        "<p>{{ ngettext('%(num)d CI', 'Class · %(num)d CIs', n) }}</p>",
        "<p>{{ pgettext('request state', 'Open') }}</p>",
        "<p>{{ _('yes') if ok else _('no') }}</p>",
        "<span class=\"badge {{ 'text-bg-danger' if bad else 'text-bg-secondary' }}\">0</span>",
        "<a href=\"{{ url_for('x', page=p) if p else 'index' }}\">{{ _('Next') }}</a>",
        "{{ f(class='form-control' ~ (' is-invalid' if f.errors else ''), **{'aria-invalid':"
        " 'true' if f.errors else 'false'}) }}",
        "<p>{{ 'SLA' }} {{ 'CSV' if csv else 'JSON' }}</p>",
    ],
)
def test_marked_literals_and_markup_are_left_alone(template):
    assert lint.template_problems(template, ENV) == []
