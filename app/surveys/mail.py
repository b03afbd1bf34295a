"""The survey's part of the notification mail: the signed links (connected by the factory to
``app.notifications.signals.mail_context``)."""

from __future__ import annotations

from typing import Any

from app.surveys import labels, links, sampling, services


def mail_context(note: Any) -> dict[str, Any] | None:
    """For a ``survey`` notification: the survey's link and one per face (each opens the
    confirmation page with that face chosen; only its button answers)."""
    if note.kind != "survey":
        return None
    survey = services.survey_of(note.ticket)
    if survey is None or not survey.sampled:
        return None
    return {
        "survey_link": links.url(survey),
        "survey_faces": [
            (n, sampling.FACES[n], labels.LABELS[n], links.url(survey, n)) for n in sampling.SCORES
        ],
    }
