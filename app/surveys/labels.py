"""The survey's words people read, in their language: the English of
:mod:`app.surveys.sampling` (pure, marked ``N_`` there), translated lazily: each score's name
and why a survey was not asked."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.surveys import sampling

LABELS = {score: _l(text) for score, text in sampling.LABELS.items()}
NOT_ASKED = {reason: _l(text) for reason, text in sampling.NOT_ASKED.items()}
