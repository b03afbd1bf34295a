"""A circuit breaker per directory: fail fast while the directory is down.

No Flask here. A directory that accepts connections and never answers holds every sign-in
for the whole receive timeout; a few of them tie up every worker and the site stalls. After
``LDAP_BREAKER_FAILURES`` consecutive failures to get an answer (no server reachable, or a
timeout), the breaker *opens*: calls fail at once with ``DirectoryUnavailable`` and no
connection is attempted. After ``LDAP_BREAKER_COOLDOWN`` seconds one call is let through as a
trial (*half-open*); its success closes the breaker, its failure opens it for another
cool-down. A wrong password or a refused service account is an answer, not a failure.

The state lives in the process (each worker learns on its own, after a few failures), keyed
by the list of server URLs, and is safe to share between threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.auth.directory.settings import DirectorySettings, DirectoryUnavailable

log = logging.getLogger(__name__)


class DirectoryDown(DirectoryUnavailable):
    """The breaker is open: the directory was not asked."""


class Breaker:
    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def before_call(self) -> None:
        """:raise DirectoryDown: the breaker is open, or another call is already the trial."""
        with self._lock:
            if self._opened_at is None:
                return
            now = self._clock()
            waited = now - self._opened_at
            trial_running = (
                self._trial_started_at is not None and now - self._trial_started_at < self.cooldown
            )
            if waited < self.cooldown or trial_running:
                retry = max(1, round(self.cooldown - waited)) if waited < self.cooldown else 1
                raise DirectoryDown(
                    f"The directory failed {self._failures} times in a row; not asking it "
                    f"again for {retry} s"
                )
            self._trial_started_at = now  # this call is the trial

    def succeeded(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                log.warning("directory answers again: closing the circuit breaker")
            self._failures, self._opened_at, self._trial_started_at = 0, None, None

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_started_at = None
            if self._failures >= self.threshold:
                if self._opened_at is None:
                    log.error(
                        "directory failed %d times in a row: failing fast for %g s",
                        self._failures,
                        self.cooldown,
                    )
                self._opened_at = self._clock()


_breakers: dict[tuple[str, ...], Breaker] = {}
_registry_lock = threading.Lock()


def breaker_for(settings: DirectorySettings) -> Breaker:
    """The process's breaker for the directory at ``settings.urls``."""
    with _registry_lock:
        breaker = _breakers.get(settings.urls)
        if breaker is None:
            breaker = _breakers[settings.urls] = Breaker(
                settings.breaker_failures, settings.breaker_cooldown
            )
        breaker.threshold, breaker.cooldown = settings.breaker_failures, settings.breaker_cooldown
        return breaker


def reset_breakers() -> None:
    """Forget every directory's failures (tests, or after reconfiguring)."""
    with _registry_lock:
        _breakers.clear()
