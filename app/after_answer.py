"""Work a request leaves for after its answer has been sent.

Some work of a request matters to nobody waiting for the answer: handing a committed outbox
message's job to Redis (the message is in the database; were the job never queued, ``flask
outbox run`` delivers it). :func:`after_answer` keeps such a callback on the request's WSGI
environ; :class:`AfterAnswer`, the application's outermost WSGI layer, runs the callbacks when
the server closes the answer, that is once its last byte was sent (every WSGI server closes
the answer it sent, gunicorn's workers too). The worker is busy for as long; the person is
not. A callback that raises is logged. Outside a request (a job, a command) there is no
answer to wait for: the caller runs its work at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import has_request_context, request
from werkzeug.wsgi import ClosingIterator

log = logging.getLogger(__name__)

KEY = "deskgraph.after_answer"


def after_answer(callback: Callable[[], Any]) -> bool:
    """Run ``callback()`` once the current request's answer has been sent; whether it will
    (False outside a request served through :class:`AfterAnswer`: run it now)."""
    if not has_request_context():
        return False
    callbacks: list[Callable[[], Any]] | None = request.environ.get(KEY)
    if callbacks is None:
        return False
    callbacks.append(callback)
    return True


class AfterAnswer:
    """The WSGI layer that runs what :func:`after_answer` kept, when the answer is closed."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        callbacks: list[Callable[[], Any]] = []
        environ[KEY] = callbacks

        def run() -> None:
            while callbacks:
                try:
                    callbacks.pop(0)()
                except Exception:
                    log.exception("work left for after the answer failed")

        try:
            answer = self.wsgi_app(environ, start_response)
        except BaseException:
            run()
            raise
        return ClosingIterator(answer, run)
