"""An order posted from an item's page reads the CIs its CI question offers once, in the
service that checks the answer: the page's pickers are filled only when the form is shown
again (refused), not for an order that is placed (before: the CI classes, their attributes and
the offered CIs were read twice, three statements on every order of the load run; issue 20)."""

# The fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

from tests.conftest import count_queries
from tests.requests.portal_helpers import sign_in_as
from tests.requests.test_ci_offers import desktop_item, estate  # noqa: F401  (fixtures)


def test_a_placed_order_reads_the_offered_cis_once(client, db, org, desktop_item, estate):
    sign_in_as(client, org.kim)
    url = f"/requests/catalog/{desktop_item.id}"
    fields = {
        "cart-0-form": str(desktop_item.form.id),
        "lines-0-software": str(estate["visio"].id),
        "requested_for": str(org.kim.id),
    }
    with count_queries() as statements:
        placed = client.post(url, data=fields)
    assert placed.status_code == 302, placed.get_data(as_text=True)
    assert "/requests/REQ" in placed.headers["Location"]
    reads = [s for s in statements if "FROM configuration_items" in s]
    assert len(reads) == 1


def test_a_refused_order_shows_the_offered_cis_again(client, db, org, desktop_item, estate):
    sign_in_as(client, org.kim)
    refused = client.post(
        f"/requests/catalog/{desktop_item.id}",
        data={
            "cart-0-form": str(desktop_item.form.id),
            "lines-0-software": str(estate["vsphere"].id),  # not offered
            "requested_for": str(org.kim.id),
        },
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Visio Desktop" in page  # the picker lists the offer again
    assert "vSphere Datacenter" not in page
