"""Which CI an alert is about: by a configured label, the CI the sender names, a host name or
an IP address, for a whole batch in two queries (names, then addresses).

For each alert the hints are tried in order and the first that names a CI wins:

1. the source's **CI label** (``AlertSource.ci_label``), when set and present;
2. the CI the sender names (generic ``ci``, or the label ``ci``);
3. host labels: ``hostname``, ``host``, ``nodename``, ``fqdn``, ``instance`` (a port is cut
   off), each as given and as its short name (before the first dot);
4. an IP address among those labels (and ``ip``, ``address``), matched to the CI attributes
   named in :data:`IP_ATTRIBUTES`.

Names compare case-insensitively on the indexed ``name_key``; a name several CIs share (of
different classes) means the lowest id, so the answer is stable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import select

from app.alerts.parsing import NormalizedAlert
from app.cmdb.models import AttributeDefinition, AttributeValue, ConfigurationItem
from app.extensions import db

HOST_LABELS = ("hostname", "host", "nodename", "fqdn", "instance")
IP_LABELS = (*HOST_LABELS, "ip", "address")
IP_ATTRIBUTES = ("management_ip", "ip_address", "ip")
CHUNK = 500
_IP_CHARACTERS = frozenset("0123456789abcdefABCDEF.:[]%")


def hints(alert: NormalizedAlert, ci_label: str | None) -> tuple[list[str], list[str]]:
    """``(names, addresses)`` to try for this alert, best first (names lower-cased)."""
    labels = alert.labels
    names: list[str] = []
    if ci_label and labels.get(ci_label):
        names.append(labels[ci_label])
    if alert.ci_hint:
        names.append(alert.ci_hint)
    for key in HOST_LABELS:
        value = labels.get(key)
        if value:
            host = _without_port(value)
            names.extend((host, host.split(".", 1)[0]))
    addresses = [
        a for a in (_address(labels.get(k, "")) for k in IP_LABELS) if a is not None
    ]  # fmt: skip
    if alert.ci_hint and (hinted := _address(alert.ci_hint)):
        addresses.insert(0, hinted)
    cleaned = [n.strip().lower() for n in names if n and n.strip()]
    return list(dict.fromkeys(cleaned)), list(dict.fromkeys(addresses))


def match_cis(alerts: Sequence[NormalizedAlert], ci_label: str | None) -> list[int | None]:
    """The CI id of each alert (``None``: no hint names a CI)."""
    wanted = [hints(a, ci_label) for a in alerts]
    by_name = _ids_by_name({n for names, _ in wanted for n in names})
    by_address = _ids_by_address({a for _, addresses in wanted for a in addresses})
    found: list[int | None] = []
    for names, addresses in wanted:
        ci_id = next((by_name[n] for n in names if n in by_name), None)
        if ci_id is None:
            ci_id = next((by_address[a] for a in addresses if a in by_address), None)
        found.append(ci_id)
    return found


def _ids_by_name(names: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(names)):
        rows = db.session.execute(
            select(ConfigurationItem.name_key, ConfigurationItem.id)
            .where(ConfigurationItem.name_key.in_(chunk))
            .order_by(ConfigurationItem.id.desc())
        )
        found.update((key, ci_id) for key, ci_id in rows)  # the lowest id wins
    return found


def _ids_by_address(addresses: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(addresses)):
        rows = db.session.execute(
            select(AttributeValue.value_text, AttributeValue.ci_id)
            .join(AttributeDefinition, AttributeDefinition.id == AttributeValue.definition_id)
            .where(
                AttributeDefinition.name.in_(IP_ATTRIBUTES),
                AttributeValue.value_text.in_(chunk),
            )
            .order_by(AttributeValue.ci_id.desc())
        )
        found.update((value, ci_id) for value, ci_id in rows if value)
    return found


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


@lru_cache(maxsize=8192)
def _without_port(value: str) -> str:
    """``host:9100`` → ``host``; an IP address (IPv6 included) is left whole."""
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:9100
        return value[1:].split("]", 1)[0]
    if value.count(":") > 1 and _IP_CHARACTERS.issuperset(value):
        try:
            return str(ipaddress.ip_address(value))  # IPv6: its last part is no port
        except ValueError:
            pass
    host, colon, port = value.rpartition(":")
    return host.strip() if colon and port.isdecimal() and host else value


@lru_cache(maxsize=8192)
def _address(value: str) -> str | None:
    """The IP address in a label value (``10.1.2.3:9100`` → ``10.1.2.3``), or ``None``.

    Most values are host names: those are refused before the (slow, raising) parse."""
    if not value or not _IP_CHARACTERS.issuperset(value):
        return None
    try:
        return str(ipaddress.ip_address(_without_port(value)))
    except ValueError:
        return None
