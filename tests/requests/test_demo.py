"""The demo catalog and requests load through the services, once, in the states they show."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cmdb.demo import load_cmdb
from app.demo import load_organisation, read_demo_file, read_organisation
from app.requests import services
from app.requests.demo import ITEMS, load_catalog, load_requests
from app.requests.models import CatalogItem, RequestItem
from app.timeutils import utc_now


def test_the_demo_catalog_and_requests_load_once(db):
    load_organisation(read_organisation())
    load_cmdb(read_demo_file("cmdb.json"))
    first = load_catalog()
    added = load_requests(utc_now())
    db.session.commit()
    assert first.items_added == len(ITEMS) == 7
    assert added == 6
    assert (load_catalog().items_added, load_requests(utc_now())) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(CatalogItem)) == 7
    statuses = {
        i.catalog_item.name: services.item_status(i)
        for i in db.session.scalars(select(RequestItem))
    }
    assert statuses["Laptop replacement"].startswith("Waiting for approval by ")
    assert statuses["Shared mailbox"] == "Rejected: Use the marketing@ mailbox we already have."
    assert statuses["Software upgrade"] == "Delivered"
    assert statuses["Software installation"] == "In progress"
    assert statuses["VPN access"].startswith("Waiting for approval by ")
    access = db.session.scalar(
        select(RequestItem).where(RequestItem.short_description == "Access to a directory group")
    )
    assert services.item_status(access) == "In progress"  # the change fell back to a person
    assert "sync it from the directory" in access.tasks[0].description
