"""Each result only where the person may see it: another person's ticket never, work notes
only for agents, CIs only for IT staff, catalog items only for those who may order them."""

from __future__ import annotations


def test_an_employee_finds_their_own_and_watched_tickets_only(db, make_user, make_incident, find):
    from app.tickets.models import ticket_watchers

    me, other = make_user(), make_user()
    mine = make_incident(caller=me, short_description="Quasar VPN drops")
    watched = make_incident(caller=other, short_description="Quasar VPN slow")
    theirs = make_incident(caller=other, short_description="Quasar VPN refused")
    db.session.execute(ticket_watchers.insert().values(ticket_id=watched.id, user_id=me.id))
    db.session.commit()
    found = find(me, "quasar")
    assert sorted(found) == sorted(
        [f"{mine.number} Quasar VPN drops", f"{watched.number} Quasar VPN slow"]
    )
    assert f"{theirs.number} Quasar VPN refused" not in found
    assert len(find(make_user(roles=["agent"]), "quasar")) == 3


def test_work_notes_are_searched_for_agents_only(db, make_user, make_incident, comment, find):
    caller = make_user()
    agent = make_user(roles=["agent"])
    incident = make_incident(caller=caller, short_description="Mail bounces")
    comment(incident, agent, "Suspect the xylophone relay", public=False)
    comment(incident, agent, "We are on it", public=True)
    assert find(agent, "xylophone") == [f"{incident.number} Mail bounces"]
    assert find(caller, "xylophone") == []
    assert find(caller, "mail xylophone") == []
    assert find(caller, "on it mail") == [f"{incident.number} Mail bounces"]


def test_a_caller_never_sees_a_work_note_in_an_excerpt(app, db, make_user, make_incident, comment):
    from app.search.query import search

    caller = make_user()
    agent = make_user(roles=["agent"])
    incident = make_incident(caller=caller, short_description="Badge reader broken")
    comment(incident, agent, "Badge reader firmware zanzibar bug", public=False)
    with app.test_request_context():
        hits = search(caller, "badge").hits
        assert [h.document.source_id for h in hits] == [incident.id]
        assert "zanzibar" not in hits[0].excerpt
        staff_hits = search(agent, "zanzibar").hits
        assert "<mark>zanzibar</mark>" in staff_hits[0].excerpt


def test_cis_are_for_it_staff_only(db, make_user, make_ci, find):
    make_ci("quokka-db-01", "application", description="Payroll database")
    assert find(make_user(roles=["agent"]), "quokka") == ["quokka-db-01"]
    assert find(make_user(), "quokka") == []
    assert find(make_user(), "quokka", source="ci") == []


def test_contact_details_are_searched_by_staff_only(db, make_user, find):
    make_user("wombat", display_name="Wanda Wombat", email="wanda@kangaroo.example")
    assert find(make_user(roles=["agent"]), "kangaroo") == ["Wanda Wombat"]
    assert find(make_user(), "kangaroo") == []
    assert find(make_user(), "wombat") == ["Wanda Wombat"]


def test_catalog_items_only_for_those_who_may_order_them(db, make_user, make_item, org, find):
    from app.auth import groups

    make_item("Narwhal monitor", short_description="A big screen")
    restricted = make_item("Narwhal tablet", audience="groups", group_ids=[org.queue.id])
    assert find(org.kim, "narwhal") == ["Narwhal monitor"]
    assert sorted(find(org.ivan, "narwhal", source="catalog_item")) == [
        "Narwhal monitor",
        "Narwhal tablet",
    ]
    groups.add_members(org.queue, [org.kim], actor=org.ada)
    db.session.commit()
    assert sorted(find(org.kim, "narwhal")) == ["Narwhal monitor", "Narwhal tablet"]
    restricted.is_active = False
    db.session.commit()
    assert find(org.kim, "narwhal") == ["Narwhal monitor"]


def test_part_of_a_work_note_word_is_found_by_agents_only(
    db, make_user, make_incident, comment, find
):
    """A partial word completes to the lexemes of notes too (one vocabulary): the caller's
    search reads the public text only and still finds nothing of the note."""
    caller = make_user()
    agent = make_user(roles=["agent"])
    incident = make_incident(caller=caller, short_description="Mail bounces")
    comment(incident, agent, "Suspect the xylophone relay", public=False)
    assert find(agent, "xyloph") == [f"{incident.number} Mail bounces"]
    assert find(caller, "xyloph") == []
    assert find(caller, "mail xyloph") == []
