"""Authorization rules for incidents (see ``app.policy``); the visibility filter that keeps lists
and counts from leaking tickets is ``app.tickets.visibility``."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.incidents.models import MajorState
from app.policy import rule


def _is_party(user: Any, incident: Any) -> bool:
    return incident is not None and (
        incident.caller_id == user.id
        or incident.opened_by_id == user.id
        or any(w.id == user.id for w in incident.watchers)
    )


@rule("incidents.console")
def may_use_agent_console(user: Any, obj: Any) -> bool:
    return user.has_role(Role.AGENT)


@rule("incidents.use")
def may_use_incidents(user: Any, obj: Any) -> bool:
    """Report problems and follow one's incidents: employees and IT staff (agents, service
    owners and administrators, who also open the incidents they decide on)."""
    return user.has_role(Role.EMPLOYEE, Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)


@rule("incidents.admin")
def may_configure_incidents(user: Any, obj: Any) -> bool:
    """Priority matrix, categories and routing rules."""
    return user.has_role(Role.ADMIN)


@rule("incident.view")
def may_view(user: Any, incident: Any) -> bool:
    """Agents see every incident; those who decide on major incidents see every incident
    proposed as major, and service owners those on services they own (both read only);
    others see those they reported, opened or watch."""
    return (
        user.has_role(Role.AGENT)
        or _is_party(user, incident)
        or may_review_major(user, incident)
        or owns_affected_service(user, incident)
    )


@rule("incident.work")
def may_work(user: Any, incident: Any) -> bool:
    """Edit, assign, change state, write work notes: IT staff."""
    return user.has_role(Role.AGENT)


@rule("incident.reply")
def may_reply(user: Any, incident: Any) -> bool:
    return user.has_role(Role.AGENT) or _is_party(user, incident)


@rule("incident.confirm")
def may_confirm_or_reopen(user: Any, incident: Any) -> bool:
    """The caller (or the person who reported it for them) confirms the fix or reopens."""
    return incident is not None and user.id in (incident.caller_id, incident.opened_by_id)


@rule("incident.decide_major")
def may_decide_major(user: Any, incident: Any) -> bool:
    """Accepting a major incident is for service owners and administrators (without an
    incident: may this person decide on proposals at all, e.g. see the list of them)."""
    return user.has_role(Role.SERVICE_OWNER, Role.ADMIN)


def may_review_major(user: Any, incident: Any) -> bool:
    """A decider reads an incident once it has been proposed as major (whatever came of the
    proposal), without being IT staff who work it."""
    return (
        incident is not None
        and incident.major_state != MajorState.NONE
        and may_decide_major(user, incident)
    )


def owns_affected_service(user: Any, incident: Any) -> bool:
    """A service owner reads the incidents on a business service they own in the CMDB (named
    as the affected service or linked as one of the incident's CIs), to follow its health,
    without working them."""
    if incident is None or not user.has_role(Role.SERVICE_OWNER):
        return False
    from app.cmdb.ownership import owns_service

    # incident.cis is loaded once per incident: the page's later checks reuse it.
    return owns_service(user.id, incident.affected_service, [ci.id for ci in incident.cis])


def reads_as_reviewer(user: Any, incident: Any) -> bool:
    """Is the read-only review page this person's incident page? For a decider once the
    incident was proposed as major, and for the owner of its service unless they reported,
    opened or watch it themselves (then the caller's page lets them reply and confirm)."""
    return may_review_major(user, incident) or (
        not _is_party(user, incident) and owns_affected_service(user, incident)
    )
