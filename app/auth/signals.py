"""What the people-and-groups domain tells the others (blinker signals, as Flask's own).

Auth sends them from its services inside the caller's transaction; receivers run
synchronously, so whatever they write is committed (or rolled back) with the change that caused
it. Receivers flush nothing and never commit. The application factory connects them
(:func:`app.factory.create_app`); auth imports none of the domains that listen.

Each signal is sent without a sender, with the ids as a keyword argument.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

memberships_changed = _signals.signal(
    "memberships-changed",
    doc="""People joined or left groups: ``group_ids`` (a list) are the groups whose members
    changed. Sent after the change is flushed.""",
)

people_changed = _signals.signal(
    "people-changed",
    doc="""People were activated or deactivated: ``user_ids`` (a list) are those people. Sent
    after the change is flushed.""",
)
