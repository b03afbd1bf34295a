"""Work a request leaves for after its answer has been sent.

Some work of a request matters to nobody waiting for the answer: handing a committed outbox
message's job to Redis (the message is in the database; were the job never queued, ``flask
outbox run`` delivers it). :func:`after_answer` keeps such a callback on the request's WSGI
environ; :class:`AfterAnswer`, the WSGI layer right around Flask's own, runs the callbacks
when the server closes the answer, that is once its last byte was sent (every WSGI server
closes the answer it sent, gunicorn's workers too), even if the answer's own close fails. The
worker is busy for as long; the person is not. A callback that raises is logged. Outside a
request (a job, a command), or once the callbacks ran, there is no answer to wait for: the
caller runs its work at once. A file sent by the server's own ``wsgi.file_wrapper`` (a
download) stays that object, so gunicorn still sends it with ``sendfile``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import has_request_context, request

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
            try:
                while callbacks:
                    try:
                        callbacks.pop(0)()
                    except Exception:
                        log.exception("work left for after the answer failed")
            finally:
                environ[KEY] = None  # from now on, work is done where it is asked for

        try:
            answer = self.wsgi_app(environ, start_response)
        except BaseException:
            run()
            raise
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(answer, wrapper):
            answer.close = _then(getattr(answer, "close", None), run)  # type: ignore[attr-defined]
            return answer
        return _Answer(answer, run)


def _then(close: Callable[[], Any] | None, run: Callable[[], None]) -> Callable[[], None]:
    """``close``, then ``run``, even if ``close`` raises."""

    def both() -> None:
        try:
            if close is not None:
                close()
        finally:
            run()

    return both


class _Answer:
    """An answer whose ``close`` runs the work left for after it, after its own ``close``."""

    def __init__(self, answer: Iterable[bytes], run: Callable[[], None]) -> None:
        self._answer = answer
        self.close = _then(getattr(answer, "close", None), run)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._answer)
