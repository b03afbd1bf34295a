"""Links that back each other up, kept as the redundancy the CMDB's impact engine weighs
(pure: no Flask, no database).

NetBox says a rack is fed by an A and a B power feed, a router has circuits from two
providers, a device draws power from two PDUs. Read one relation per link, each of them a
plain dependency, and the loss of any one feed, circuit or PDU would take the rack, the
router and everything behind them down. So when one CI needs two or more different CIs
through links of one kind, the links become a **redundancy group**: a CI of class
``link_group`` named after what it serves (``R101 power``, ``dmi01-akron-rtr01 uplinks``)
with the rule "at least 1 up"; each CI at the far end of a link is ``member_of`` the group
(the relation keeps the link's key: a cable stays one relation of the report, and removing
it removes its membership), and the CI that needs them needs the group instead, by the
links' own type. The impact engine then reports the CI down only when every member is.

Kinds of links: *power* (a power cable from a device to a PDU or feed, and a feed feeding a
rack) and *uplinks* (a data cable, read in the direction the mapping gives it: toward the
core, a patch panel or a circuit). Parallel cables to the same CI are one member: a cable is
not a CI, so a cable fault is not something the CMDB can fail; those stay one CMDB relation,
kept while any of the cables is in NetBox.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from app.i18n import N_
from app.i18n.stored import stored
from app.imports.estates.model import Estate, EstateCI, EstateClass, EstateRelation, Note

CLASS = EstateClass("link_group", "Redundant links")
POWER, UPLINKS = "power", "uplinks"
NOUNS = {POWER: "power sources", UPLINKS: "uplinks"}
# The notice of a group made, by kind of link (worded in its reader's language).
NOTICES = {
    POWER: N_(
        "%(name)s has %(count)s power sources (%(members)s): kept as the group “%(group)s”, up "
        "while any one of them is."
    ),
    UPLINKS: N_(
        "%(name)s has %(count)s uplinks (%(members)s): kept as the group “%(group)s”, up while "
        "any one of them is."
    ),
}
PREFIX = "group:"  # a group's key, ``group:dcim.rack:3/power``: no NetBox model is named so


def kind_of(relation: EstateRelation) -> str | None:
    """Whether ``relation`` is a power or an uplink link (None: it backs nothing up)."""
    if relation.key.startswith("dcim.cable:"):
        return POWER if relation.type == "depends_on" else UPLINKS
    if relation.key.startswith("dcim.powerfeed:") and relation.key.endswith("/rack"):
        return POWER
    return None


def group_links(estate: Estate, names: Mapping[str, str]) -> int:
    """Rewrite ``estate``'s redundant links as groups (see the module docstring); ``names``
    are the CIs' final names by key. Adds a ``notice`` line per group; returns how many (the
    caller adds :data:`CLASS` to the estate's classes when there are any)."""
    needs: dict[tuple[str, str], list[EstateRelation]] = defaultdict(list)
    for relation in estate.relations:
        kind = kind_of(relation)
        if kind is not None:
            needs[(relation.source, kind)].append(relation)
    taken = {ci.name.lower() for ci in estate.cis if ci.ci_class == CLASS.name}
    grouped: dict[int, EstateRelation] = {}
    groups = 0
    for (source, kind), links in sorted(needs.items()):
        targets = sorted({link.target for link in links})
        if len(targets) < 2:
            continue
        key = f"{PREFIX}{source}/{kind}"
        name = _unique(f"{names[source]} {kind}", source, taken)
        where = links[0].where
        members = ", ".join(names[t] for t in targets)
        description = (
            f"Any one of its {len(targets)} {NOUNS[kind]} keeps {names[source]} up "
            f"(NetBox: {members})."
        )
        estate.cis.append(
            EstateCI(key, name, CLASS.name, {"min_up": 1, "description": description}, where=where)
        )
        for link in links:
            grouped[id(link)] = EstateRelation(link.key, link.target, "member_of", key, link.where)
        estate.relations.append(EstateRelation(f"{key}/needs", source, links[0].type, key, where))
        notice = stored(
            NOTICES[kind], name=names[source], count=len(targets), members=members, group=name
        )
        estate.notes.append(Note("notice", where, "", notice))
        groups += 1
    if groups:
        estate.relations = [grouped.get(id(r), r) for r in estate.relations]
    return groups


def _unique(name: str, source: str, taken: set[str]) -> str:
    """``name``, or with the needing CI's key appended when another group has it already."""
    if name.lower() in taken:
        name = f"{name} ({source})"
    taken.add(name.lower())
    return name[:200]
