"""The survey's words people read, in their language (:mod:`app.surveys.sampling` is pure and
keeps the English): each score's name and why a survey was not asked."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    1: _l("Very unhappy"),
    2: _l("Unhappy"),
    3: _l("Neutral"),
    4: _l("Happy"),
    5: _l("Very happy"),
}
NOT_ASKED = {
    "not_drawn": _l("not in the sample"),
    "asked_recently": _l("the caller was asked recently"),
    "sampling_off": _l("surveys are off"),
}
