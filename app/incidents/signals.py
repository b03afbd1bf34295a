"""What incidents tell the domains above them (blinker signals, as Flask's own).

The knowledge base counts whether its suggestions deflected a report; incidents import nothing
from it. The application factory connects the receivers (:func:`app.factory.create_app`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

reported = _signals.signal(
    "reported",
    doc="""A person sent the "report a problem" form: sent with the new incident as sender and
    ``user`` (who reported it), after the incident is flushed and before the view commits, so
    what a receiver writes commits with the incident or not at all.""",
)
