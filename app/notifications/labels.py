"""What people read of each notification kind (its name and who hears it), in their language:
the English of :mod:`app.notifications.rules` (pure, marked ``N_`` there), translated lazily."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.notifications.rules import KINDS as RULES


class KindText(NamedTuple):
    label: LazyString
    audience: LazyString


KINDS: dict[str, KindText] = {
    name: KindText(_l(kind.label), _l(kind.audience)) for name, kind in RULES.items()
}
