"""What the CMDB asks or tells the other domains (blinker signals, as Flask's own).

The CMDB imports none of the domains that answer; the application factory connects their
receivers (:func:`app.factory.create_app`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

ci_open_incidents = _signals.signal(
    "ci-open-incidents",
    doc="""The CI page asks for a CI's open incidents, most urgent first: sent with the CI as
    sender and ``limit``; each receiver returns a list of at most ``limit`` objects with
    ``number``, ``priority`` and ``short_description``.""",
)
