"""What the notifications ask other domains, which they may not import (the factory connects
the receivers).

``mail_context``: sent with the ``Notification`` a mail is rendered for; each receiver returns
a dict of extra template values (or None), e.g. the surveys' signed link for a ``survey``
notification.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

mail_context = _signals.signal("notifications.mail-context")
