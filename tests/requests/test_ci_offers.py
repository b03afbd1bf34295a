"""Which CIs a catalog item offers: a CI question names a class and optionally an attribute that
must equal a value; the employee's picker lists only that, an order naming anything else is
refused, and nobody finds CMDB hostnames through the portal. The catalog admin sets the offer
and is told when its class or attribute does not exist. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.requests import services
from app.requests.catalog import services as catalog
from tests.requests.portal_helpers import field_error, sign_in_as

DESKTOP = {
    "name": "software",
    "label": "Which software",
    "type": "ci",
    "required": True,
    "ci_class": "software",
    "ci_attribute": "installs_on",
    "ci_value": "Workstations",
}


@pytest.fixture
def estate(db, request):
    """Software that installs on workstations or servers, and a database server."""
    from app.cmdb import services as cmdb

    of_class, new_ci = (request.getfixturevalue(f) for f in ("ci_class", "make_ci"))

    cmdb.add_attribute(
        actor=None,
        ci_class=of_class("software"),
        name="installs_on",
        label="Installs on",
        type_="choice",
        choices=["Workstations", "Servers"],
    )
    db.session.commit()
    return {
        "visio": new_ci("Visio Desktop", "software", attributes={"installs_on": "Workstations"}),
        "vsphere": new_ci("vSphere Datacenter", "software", attributes={"installs_on": "Servers"}),
        "bare": new_ci("Unclassified Tool", "software"),
        "host": new_ci("db-lyon-07", "server"),
    }


@pytest.fixture
def desktop_item(make_item, estate):
    return make_item("Install software", variables=[DESKTOP])


def picker(client, item, q: str, variable: str = "software"):
    return client.get(f"/requests/cis?form={item.form.id}&variable={variable}&q={q}")


def test_the_picker_lists_only_what_the_item_offers(client, db, org, desktop_item, estate):
    sign_in_as(client, org.kim)
    everything = picker(client, desktop_item, "").get_data(as_text=True)
    assert "Visio Desktop" in everything
    for hidden in ("vSphere", "Unclassified Tool", "db-lyon-07"):
        assert hidden not in everything
    assert "vSphere" not in picker(client, desktop_item, "vsphere").get_data(as_text=True)
    page = client.get(f"/requests/catalog/{desktop_item.id}").get_data(as_text=True)
    assert "Visio Desktop" in page
    assert "vSphere" not in page


def test_an_order_naming_a_ci_the_item_does_not_offer_is_refused(
    client, db, org, desktop_item, estate
):
    sign_in_as(client, org.kim)
    url = f"/requests/catalog/{desktop_item.id}"
    refused = client.post(
        url,
        {
            "cart-0-form": str(desktop_item.form.id),
            "lines-0-software": str(estate["host"].id),
            "requested_for": str(org.kim.id),
        },
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert field_error(page, "lines-0-software") == "Choose one of the configuration items listed."
    assert "db-lyon-07" not in page  # the id posted is not turned into its name
    with pytest.raises(Invalid):
        services.check_line(
            services.OrderLine(desktop_item, {"software": estate["vsphere"].id}), org.kim
        )
    _version, answers, _uploads = services.check_line(
        services.OrderLine(desktop_item, {"software": estate["visio"].id}), org.kim
    )
    assert answers == {"software": {"id": estate["visio"].id, "label": "Visio Desktop"}}


def test_employees_never_find_hostnames_through_the_picker(
    client, db, org, make_item, desktop_item, estate
):
    any_software = make_item(
        "Any software",
        variables=[{"name": "app", "label": "App", "type": "ci", "ci_class": "software"}],
    )
    hidden = make_item("Hidden", variables=[DESKTOP | {"ci_attribute": "", "ci_value": ""}])
    hidden.is_active = False
    db.session.commit()
    sign_in_as(client, org.kim)
    for url in (
        "/requests/cis?q=db",
        "/requests/cis?q=db&ci_class=server",
        "/requests/cis?q=db&ci_class=",
        f"/requests/cis?form={hidden.form.id}&variable=software&q=db",
        f"/requests/cis?form={'9' * 30}&variable=software&q=db",
        "/requests/cis?form=-1&variable=software&q=db",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "db-lyon" not in answer.get_data(as_text=True), url
    for item, variable in ((desktop_item, "software"), (any_software, "app")):
        found = picker(client, item, "db", variable).get_data(as_text=True)
        assert "db-lyon" not in found
        assert "No match for “db”" in found


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"ci_class": "spaceship"}, "ci_class", "choose a CI class from the list"),
        ({"ci_attribute": "colour"}, "ci_attribute", "Software has no attribute 'colour'"),
        ({"ci_value": "Toasters"}, "ci_value", "Choose one of: Workstations, Servers."),
    ],
)
def test_saving_a_form_checks_the_offer_against_the_cmdb(
    db, org, desktop_item, change, field, message
):
    with pytest.raises(Invalid) as refused:
        catalog.save_form(desktop_item, [DESKTOP | change], actor=org.ada)
    assert message in refused.value.field_errors[f"variables.0.{field}"][0]


def test_the_admin_sets_the_offer_in_the_form_editor(client, db, org, make_item, estate):
    item = make_item("Install software", variables=[])
    client.login(org.ada.username)
    url = f"/requests/admin/items/{item.id}/form"
    row = {
        "number": "1",
        "variables-0-label": "Which software",
        "variables-0-name": "software",
        "variables-0-type": "ci",
        "variables-0-ci_class": "software",
        "variables-0-ci_attribute": "installs_on",
    }
    refused = client.post(url, row | {"variables-0-ci_value": ""})
    assert refused.status_code == 422
    assert "give the value the attribute must equal" in field_error(
        refused.get_data(as_text=True), "variables-0-ci_value"
    )
    saved = client.post(url, row | {"variables-0-ci_value": "Workstations"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert item.form.variables[0] == {
        "name": "software",
        "label": "Which software",
        "type": "ci",
        "ci_class": "software",
        "ci_attribute": "installs_on",
        "ci_value": "Workstations",
    }
    history = client.get(url).get_data(as_text=True)
    assert "(software whose installs_on is Workstations)" in history
    assert 'value="installs_on"' in history
