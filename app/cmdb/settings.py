"""CMDB settings administrators change: how impact analysis treats CIs by lifecycle status.

The engine's :class:`~app.cmdb.graph.vocabulary.ImpactOptions` gives each of the statuses planned,
in maintenance and retired a :class:`~app.cmdb.graph.vocabulary.Treatment` (in-service CIs are
always normal). The choice lives in the one-row ``cmdb_settings`` table; :func:`impact_options`
reads it (one primary-key lookup) for every impact question :mod:`app.cmdb.analysis` answers.

Saving bumps the CMDB revision, so anything cached per revision is recomputed. The change is
audited (object type ``cmdb_settings``). Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import audit
from app.cmdb.graph.vocabulary import ImpactOptions, Lifecycle, Treatment
from app.cmdb.models import LIFECYCLE_LABELS, CMDBSettings
from app.errors import Invalid, check_version
from app.extensions import db
from app.timeutils import utc_now

SETTINGS_ID = 1
CONFIGURABLE = (Lifecycle.PLANNED, Lifecycle.IN_MAINTENANCE, Lifecycle.RETIRED)
"""The statuses whose treatment an administrator chooses (the column of each is its value)."""
TREATMENT_LABELS = {
    Treatment.NORMAL: _l("Like an in-service CI"),
    Treatment.ALREADY_DOWN: _l("Already down"),
    Treatment.IGNORED: _l("Ignored"),
}
TREATMENT_HELP = {
    Treatment.NORMAL: _l(
        "Counted like an in-service CI: a failure passes through it and it counts as a "
        "working member of its clusters."
    ),
    Treatment.ALREADY_DOWN: _l(
        "Counted as a cluster member that is already down, so the cluster's redundancy has "
        "less margin; a failure still passes through it."
    ),
    Treatment.IGNORED: _l(
        "Left out: it neither fails nor passes a failure on, does not count as a cluster "
        "member, and is not listed among what a CI needs."
    ),
}


def current_settings() -> CMDBSettings:
    """The settings row; a transient one with the engine's defaults if the row is missing."""
    row = db.session.get(CMDBSettings, SETTINGS_ID)
    if row is None:  # pragma: no cover - the migration seeds the row
        defaults = ImpactOptions()
        row = CMDBSettings(id=SETTINGS_ID, version=1)
        for status in CONFIGURABLE:
            setattr(row, status.value, getattr(defaults, status.value))
    return row


def impact_options() -> ImpactOptions:
    """The :class:`ImpactOptions` the administrators configured."""
    row = current_settings()
    return ImpactOptions(**{s.value: Treatment(getattr(row, s.value)) for s in CONFIGURABLE})


def save_settings(
    *, actor: Any, treatments: Mapping[str, str], expected_version: Any = None
) -> dict[str, list[str]]:
    """Set the treatment of each configurable status (``{"retired": "ignored", ...}``).

    :raise Invalid: a missing status or an unknown treatment.
    :raise Conflict: the settings changed since the form was loaded.
    :return: the changes, as ``{status: [old, new]}`` (empty when nothing changed).
    """
    chosen: dict[str, str] = {}
    errors: dict[str, str] = {}
    for status in CONFIGURABLE:
        value = treatments.get(status.value) or ""
        if value not in set(Treatment):
            errors[status.value] = _(
                "Choose how %(status)s CIs count.", status=str(LIFECYCLE_LABELS[status]).lower()
            )
        chosen[status.value] = value
    if errors:
        raise Invalid(errors)
    row = current_settings()
    check_version(row, expected_version, "The CMDB settings")
    changes = audit.diff({s: Treatment(getattr(row, s)).value for s in chosen}, chosen)
    if not changes:
        return {}
    for status, value in chosen.items():
        setattr(row, status, Treatment(value))
    row.updated_at = utc_now()
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "cmdb_settings", SETTINGS_ID, "updated", changes)
    from app.cmdb.cache import bump_revision  # here: it imports numpy (issue 20)

    bump_revision(())  # nothing the graph holds
    return changes
