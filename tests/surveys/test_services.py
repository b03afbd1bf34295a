"""Starting, sampling, sending and answering surveys through the real services, and who is
told (both databases)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, Invalid
from app.incidents import services as incidents
from app.incidents.workflow import State, Transition
from app.surveys import sampling, services
from app.surveys.models import Survey
from app.timeutils import utc_now


def test_resolving_an_incident_asks_its_caller_once(db, desk, resolve, survey_of, told):
    resolve(desk.incident, desk.agent)
    survey = survey_of(desk.incident)
    assert survey.sampled
    assert survey.reason == sampling.DRAWN
    assert survey.sent_at is not None  # no delay: sent with the resolution
    assert (survey.group_id, survey.agent_id) == (desk.group.id, desk.agent.id)
    assert (survey.service, survey.category) == ("Printing", "Hardware")
    assert told(desk.caller) == ["resolved", "survey"]
    # Reopened and resolved again: the same survey, no second draw, no second mail.
    incidents.change_state(desk.incident, Transition(State.IN_PROGRESS), actor=desk.caller)
    db.session.commit()
    resolve(desk.incident, desk.agent)
    assert db.session.scalar(select(func.count(Survey.id))) == 1
    assert told(desk.caller) == ["resolved", "survey", "resolved"]


def test_a_rolled_back_resolution_leaves_no_survey(db, desk):
    change = Transition(State.RESOLVED, resolution_code="solved_permanently", resolution_notes="x")
    incidents.change_state(desk.incident, change, actor=desk.agent)
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_the_database_refuses_a_second_survey_for_a_ticket(db, desk, resolve, survey_of):
    resolve(desk.incident, desk.agent)
    first = survey_of(desk.incident)
    db.session.add(
        Survey(
            ticket_id=desk.incident.id,
            caller_id=desk.caller.id,
            sampled=False,
            draw=1,
            reason="x",
            due_at=first.due_at,
            comment="",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_sample_follows_the_percentage_and_is_recorded(db, desk, resolve, configure, survey_of):
    configure(percentage=50)
    incidents_ = [desk.new(title=f"Problem {n}") for n in range(8)]
    for incident in incidents_:
        resolve(incident, desk.agent)
    for incident in incidents_:
        survey = survey_of(incident)
        assert survey.draw == sampling.draw(incident.id)
        assert survey.sampled == (survey.draw < 50)
        assert (survey.sent_at is not None) == survey.sampled


def test_at_most_one_survey_per_person_per_n_days(db, desk, resolve, configure, survey_of):
    configure(once_per_days=7)
    second = desk.new(title="Second problem")
    now = utc_now()
    resolve(desk.incident, desk.agent, now=now - timedelta(days=10))
    resolve(second, desk.agent, now=now - timedelta(days=2))
    third = desk.new(title="Third problem")
    resolve(third, desk.agent, now=now)
    assert survey_of(desk.incident).sampled
    assert survey_of(second).sampled  # 8 days after the first: allowed
    assert survey_of(third).reason == sampling.ASKED_RECENTLY  # 2 days after the second


def test_a_delay_waits_for_the_send_command(app, db, desk, resolve, configure, survey_of, told):
    configure(delay_hours=24)
    now = utc_now()
    resolve(desk.incident, desk.agent, now=now)
    survey = survey_of(desk.incident)
    assert survey.sampled
    assert survey.sent_at is None
    assert survey.due_at == now + timedelta(hours=24)
    assert not services.open_for_caller(survey, now)  # not shown in the portal yet
    assert services.send_due(now + timedelta(hours=23)) == []
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["surveys", "send"])
    assert "0 survey(s) sent" in result.output
    assert services.send_due(now + timedelta(hours=24)) == [desk.incident.number]
    db.session.commit()
    assert told(desk.caller) == ["resolved", "survey"]
    assert services.send_due(now + timedelta(hours=48)) == []  # once


def test_a_delayed_survey_is_not_sent_for_a_ticket_reopened_meanwhile(
    db, desk, resolve, configure, survey_of
):
    configure(delay_hours=1)
    now = utc_now()
    resolve(desk.incident, desk.agent, now=now)
    incidents.change_state(desk.incident, Transition(State.IN_PROGRESS), actor=desk.caller)
    db.session.commit()
    assert services.send_due(now + timedelta(hours=2)) == []
    assert survey_of(desk.incident).sent_at is None


def test_a_low_score_tells_the_manager_once(db, desk, resolve, survey_of, told):
    resolve(desk.incident, desk.agent)
    survey = survey_of(desk.incident)
    services.answer(survey, score="2", comment="Took a week.", by=desk.caller, via="portal")
    db.session.commit()
    assert told(desk.manager) == ["low_score"]
    services.answer(survey, score="1", comment="Worse.", by=desk.caller, via="portal")
    db.session.commit()
    assert told(desk.manager) == ["low_score"]  # told once per survey
    assert survey_of(desk.incident).score == 1


def test_a_good_score_tells_nobody(db, desk, resolve, survey_of, told):
    resolve(desk.incident, desk.agent)
    services.answer(survey_of(desk.incident), score=4, comment="", by=desk.caller, via="link")
    db.session.commit()
    assert told(desk.manager) == []


def test_the_low_score_threshold_is_a_setting(db, desk, resolve, configure, survey_of, told):
    configure(low_score=3)
    resolve(desk.incident, desk.agent)
    services.answer(survey_of(desk.incident), score=3, comment="", by=desk.caller, via="link")
    db.session.commit()
    assert told(desk.manager) == ["low_score"]


@pytest.mark.parametrize(
    ("score", "comment", "field"),
    [
        ("0", "", "score"),
        ("6", "", "score"),
        ("x", "", "score"),
        (None, "", "score"),
        ("3", "y" * 10_000, "comment"),
    ],
)
def test_bad_answers_are_refused_field_by_field(
    db, desk, resolve, survey_of, score, comment, field
):
    resolve(desk.incident, desk.agent)
    with pytest.raises(Invalid) as refused:
        services.answer(
            survey_of(desk.incident), score=score, comment=comment, by=desk.caller, via="portal"
        )
    assert field in refused.value.field_errors
    db.session.rollback()
    assert survey_of(desk.incident).score is None


def test_nul_bytes_are_dropped_from_the_comment(db, desk, resolve, survey_of):
    resolve(desk.incident, desk.agent)
    services.answer(
        survey_of(desk.incident), score=5, comment="fi\x00ne", by=desk.caller, via="portal"
    )
    db.session.commit()
    assert survey_of(desk.incident).comment == "fine"


def test_only_the_caller_answers(db, desk, resolve, survey_of):
    resolve(desk.incident, desk.agent)
    with pytest.raises(Forbidden):
        services.answer(survey_of(desk.incident), score=5, comment="", by=desk.other, via="portal")
    with pytest.raises(Forbidden):
        services.get_for_caller(survey_of(desk.incident).id, desk.agent)


def test_no_answer_after_a_reopen_or_after_the_edit_window(db, desk, resolve, survey_of):
    resolve(desk.incident, desk.agent)
    survey = survey_of(desk.incident)
    now = utc_now()
    services.answer(survey, score=4, comment="", by=desk.caller, via="portal", now=now)
    db.session.commit()
    later = now + timedelta(days=3, minutes=1)
    with pytest.raises(Conflict, match="can no longer be"):
        services.answer(survey, score=5, comment="", by=desk.caller, via="portal", now=later)
    db.session.rollback()
    incidents.change_state(desk.incident, Transition(State.IN_PROGRESS), actor=desk.caller)
    db.session.commit()
    with pytest.raises(Conflict, match="reopened"):
        services.answer(survey_of(desk.incident), score=5, comment="", by=desk.caller, via="portal")


def test_a_stale_edit_is_refused(db, desk, resolve, survey_of):
    resolve(desk.incident, desk.agent)
    survey = survey_of(desk.incident)
    version = survey.version
    services.answer(survey, score=4, comment="", by=desk.caller, via="portal", version=version)
    db.session.commit()
    with pytest.raises(Conflict):
        services.answer(survey, score=2, comment="", by=desk.caller, via="link", version=version)


def test_a_request_item_closed_complete_asks_its_requester(
    db, org, make_item, place, survey_of, told
):
    from app.requests.fulfilment.services import close_item
    from app.requests.states import CloseCode

    item = place(make_item())
    close_item(item, CloseCode.COMPLETE, org.ada, utc_now())
    db.session.commit()
    survey = survey_of(item)
    assert survey.sampled
    assert survey.caller_id == item.caller_id
    assert "survey" in told(item.caller)
    rejected = place(make_item())
    close_item(rejected, CloseCode.INCOMPLETE, org.ada, utc_now(), notes="No stock.")
    db.session.commit()
    assert survey_of(rejected) is None


def test_the_report_counts_per_agent_group_service_and_category(db, desk, resolve, survey_of):
    scores = [5, 4, 2]
    tickets_ = [desk.incident] + [desk.new(title=f"P{n}") for n in range(3)]
    for incident in tickets_:
        resolve(incident, desk.agent)
    for incident, score in zip(tickets_, scores, strict=False):
        services.answer(survey_of(incident), score=score, comment="", by=desk.caller, via="portal")
    db.session.commit()
    tables = services.report(30)
    total = tables["total"][0]
    assert (total.sent, total.answered, total.low, total.satisfied) == (4, 3, 1, 2)
    assert total.average == pytest.approx(11 / 3)
    assert total.response_rate == pytest.approx(75)
    assert total.csat == pytest.approx(200 / 3)
    agent = tables["agent"][0]
    assert (agent.label, agent.answered) == (desk.agent.display_name, 3)
    assert [r.label for r in tables["group"]] == ["Service Desk"]
    assert [r.label for r in tables["service"]] == ["Printing"]
    assert [r.label for r in tables["category"]] == ["Hardware"]
    assert services.report(30, now=utc_now() + timedelta(days=31))["total"][0].sent == 0


def test_a_survey_takes_a_first_answer_while_its_link_is_valid(app, db, desk, resolve, survey_of):
    resolve(desk.incident, desk.agent)
    survey = survey_of(desk.incident)
    late = survey.due_at + timedelta(days=14, minutes=1)
    assert services.open_for_caller(survey, late - timedelta(minutes=2))
    assert not services.open_for_caller(survey, late)
    with pytest.raises(Conflict, match="closed"):
        services.answer(survey, score=3, comment="", by=desk.caller, via="portal", now=late)


def test_the_report_matches_a_count_of_the_surveys_themselves(
    db, desk, resolve, survey_of, make_user
):
    """Surveys spread over agents (two with one name), groups, services and categories, some
    without one, some unsent or too old: every row of every table equals a count made here."""
    from app.auth.models import Group, User

    twin = make_user(roles=["agent"], display_name=desk.agent.display_name)
    other_group = Group(name="Field Service", is_assignment_group=True)
    db.session.add(other_group)
    db.session.commit()
    rng = random.Random(16)
    incidents = [desk.incident] + [desk.new(title=f"Problem {n}") for n in range(11)]
    for incident in incidents:
        resolve(incident, desk.agent)
    now = utc_now()
    for survey in db.session.scalars(select(Survey)):
        survey.agent_id = rng.choice([desk.agent.id, twin.id, None])
        survey.group_id = rng.choice([desk.group.id, other_group.id, None])
        survey.service = rng.choice(["Printing", "Mail", None])
        survey.category = rng.choice(["Hardware", "Software", None])
        survey.sent_at = rng.choice([now - timedelta(days=2), now - timedelta(days=40), None])
        survey.score = rng.choice([1, 2, 3, 4, 5, None])
    db.session.commit()

    names = {u.id: u.display_name for u in db.session.scalars(select(User))}
    names |= {g.id: g.name for g in db.session.scalars(select(Group))}
    expected: dict[str, dict[Any, list[int | None]]] = defaultdict(lambda: defaultdict(list))
    for s in db.session.scalars(select(Survey)):
        if s.sent_at is None or s.sent_at < now - timedelta(days=30):
            continue
        for name, key in (
            ("agent", s.agent_id and ("a", s.agent_id)),
            ("group", s.group_id and ("g", s.group_id)),
            ("service", s.service),
            ("category", s.category),
            ("total", "All"),
        ):
            expected[name][key].append(s.score)

    def label(key: Any) -> str:
        if isinstance(key, tuple):
            return names[key[1]]
        return key or "(none)"

    tables = services.report(30, now=now)
    for name, groups in expected.items():
        wanted = sorted(
            (
                label(key),
                len(scores),
                sum(1 for s in scores if s is not None),
                sum(1 for s in scores if s is not None and s >= 4),
                sum(1 for s in scores if s is not None and s <= 2),
                _mean([s for s in scores if s is not None]),
            )
            for key, scores in groups.items()
        )
        got = sorted(
            (r.label, r.sent, r.answered, r.satisfied, r.low, _mean([r.average] * r.answered))
            for r in tables[name]
        )
        assert got == wanted, name
    assert sum(r.sent for r in tables["agent"]) == tables["total"][0].sent > 0


def _mean(scores: list[Any]) -> float | None:
    return round(sum(scores) / len(scores), 6) if scores else None
