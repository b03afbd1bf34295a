"""NetBox objects → an :class:`~app.imports.estates.model.Estate` by the default mapping of
:mod:`app.imports.netbox.mapping` (pure: no Flask, no database).

Every object read is accounted for exactly once, in :attr:`Reading.outcomes`: it became a CI
(``rows_as_ci``), a relation (``rows_as_relation``: cables, circuit terminations), a value of
another object (``rows_as_value``: roles, types, cable terminations), a report line of its
own (``rows_not_carried``), a line for its whole model (``rows_summarised``: NetBox's
bookkeeping and device-type templates) or a line saying why it was skipped (``rows_skipped``).

**Names** are NetBox's. An empty name becomes the device type's model (or the kind of
object), prefixed with where it stands (``DM-Akron / Comms closet / ISR1111-8P``). When two
CIs of one class would share a name (case-insensitively), each of them is prefixed with its
site (``DM-Akron / PP:MDF``), then with its site and rack (or location, panel, cluster) if
that is not enough, and as a last resort followed by ``#<NetBox id>``. Each name made is a
``notice`` line of the report.

**Redundancy**: a CI that needs two or more CIs through links of one kind (power, uplinks)
needs them as a group, up while any one is (:mod:`app.imports.netbox.redundancy`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_
from app.i18n.stored import stored
from app.imports.estates.model import Estate, EstateCI, EstateClass, EstateRelation, Note, Text
from app.imports.netbox import mapping, redundancy
from app.imports.netbox.mapping import End
from app.imports.netbox.source import Item, Objects

SYSTEM = "netbox"
SEPARATOR = " / "
LIMITS = {"name": 200, "location": 200, "asset_tag": 80, "serial_number": 120, "model": 120}
OUTCOMES = (
    "rows_as_ci", "rows_as_relation", "rows_as_value", "rows_not_carried", "rows_summarised",
    "rows_skipped",
)  # fmt: skip


@dataclass
class Reading:
    estate: Estate
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass
class _Pending:
    key: str
    base: str
    ci_class: str
    fields: dict[str, Any]
    scope: list[str]  # site, then rack (location, panel, cluster): the prefixes, in order
    where: str
    empty: bool = False
    pk: int | None = None


def key_of(model: str, pk: Any) -> str:
    return f"{model}:{pk}"


def read_estate(objects: Objects) -> Reading:
    """The estate of a NetBox source and how each of its objects was accounted for."""
    return _Reader(objects).read()


class _Reader:
    def __init__(self, objects: Objects) -> None:
        self.o = objects
        self.estate = Estate(SYSTEM, rows_read=len(objects.items))
        self.outcomes: Counter[str] = Counter({k: 0 for k in OUTCOMES})
        self.pending: dict[str, _Pending] = {}
        self.classes: dict[str, EstateClass] = {}
        self.tiers: dict[str, End] = {}  # device key -> its cable end's traits
        self.cable_ends: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: {"A": [], "B": []}
        )

    def note(self, kind: str, item_where: str, message: Text, column: str = "") -> None:
        self.estate.notes.append(Note(kind, item_where, column, message))

    # --- the pass over every object --------------------------------------------------------

    def read(self) -> Reading:
        summarised: Counter[str] = Counter()
        later: list[Item] = []
        seen: set[tuple[str, int]] = set()
        for item in self.o.items:
            model = item.model
            if item.pk is not None and (model, item.pk) in seen:
                self._duplicate(item)
                continue
            if item.pk is not None:
                seen.add((model, item.pk))
            if model in mapping.CI_MODELS:
                if self._ci(item):
                    self.outcomes["rows_as_ci"] += 1
                else:
                    self.outcomes["rows_skipped"] += 1
            elif model in mapping.RELATION_MODELS:
                later.append(item)
            elif model in mapping.VALUE_MODELS:
                self.outcomes["rows_as_value"] += 1
                if model == "dcim.cabletermination":
                    self._termination_end(item)
            elif model.startswith(mapping.BOOKKEEPING_PREFIXES) or model.endswith(
                mapping.TEMPLATE_SUFFIX
            ):
                summarised[model] += 1
                self.outcomes["rows_summarised"] += 1
            else:
                known = mapping.NOT_CARRIED.get(model)
                reason = (
                    stored(known)
                    if known
                    else stored(N_("%(model)s objects are not carried by the mapping"), model=model)
                )
                label = _display(item.fields)
                self.note(
                    "not_carried", item.where,
                    stored(N_("%(label)s: %(reason)s"), label=label, reason=reason)
                    if label else reason,
                )  # fmt: skip
                self.outcomes["rows_not_carried"] += 1
        for model, n in sorted(summarised.items()):
            what = (
                N_("%(count)s %(model)s objects: parts of device types (templates).")
                if model.endswith(mapping.TEMPLATE_SUFFIX)
                else N_("%(count)s %(model)s objects: NetBox's own bookkeeping, not estate data.")
            )
            self.note("not_carried", model, stored(what, count=n, model=model))
        self._derived_relations()
        for item in later:
            made = self._cable(item) if item.model == "dcim.cable" else self._circuit_end(item)
            self.outcomes["rows_as_relation" if made else "rows_not_carried"] += 1
        self._names()
        if redundancy.group_links(self.estate, {ci.key: ci.name for ci in self.estate.cis}):
            self.classes[redundancy.CLASS.name] = redundancy.CLASS
        self.estate.classes = sorted(self.classes.values(), key=lambda c: c.name)
        return Reading(self.estate, dict(self.outcomes))

    def _duplicate(self, item: Item) -> None:
        """A second object with the same model and id: skipped, saying whether it differs."""
        first = self.o.get(item.model, item.pk)
        again = (
            N_("%(model)s %(id)s appears again with other data: the first one is imported.")
            if first != item.fields
            else N_("%(model)s %(id)s appears again with the same data: the first one is imported.")
        )
        self.note("skipped", item.where, stored(again, model=item.model, id=item.pk))
        self.outcomes["rows_skipped"] += 1

    # --- CIs -------------------------------------------------------------------------------

    def _ci(self, item: Item) -> bool:
        f = item.fields
        if item.pk is None:
            self.note(
                "skipped", item.where,
                stored(N_("A %(model)s object without an id."), model=item.model),
            )  # fmt: skip
            return False
        key = key_of(item.model, item.pk)
        status = self._status(item)
        site = self._named(f, "site", "dcim.site")
        common = {"status": status, "description": _text(f.get("description"))}
        scope = [site] if site else []
        base, ci_class, fields = str(f.get("name") or "").strip(), "", dict(common)
        if item.model == "dcim.site":
            ci_class = "site"
            fields["description"] = common["description"] or _text(f.get("facility"))
            scope = []
        elif item.model == "dcim.location":
            ci_class = "location"
            fields["location"] = site
        elif item.model == "dcim.rack":
            ci_class = "rack"
            location = self._named(f, "location", "dcim.location")
            scope = [p for p in (site, location) if p]
            fields |= {
                "location": SEPARATOR.join(scope),
                "serial_number": _text(f.get("serial")),
                "asset_tag": _text(f.get("asset_tag")),
            }
        elif item.model == "dcim.device":
            return self._device(item, key, fields, site)
        elif item.model == "dcim.powerpanel":
            ci_class = "power_panel"
            fields["location"] = site
        elif item.model == "dcim.powerfeed":
            ci_class = "power_feed"
            panel = self.o.get("dcim.powerpanel", f.get("power_panel")) or {}
            site = self._named(panel, "site", "dcim.site")
            scope = [p for p in (site, str(panel.get("name") or "")) if p]
            fields["location"] = SEPARATOR.join(scope)
            fields["description"] = common["description"] or _feed_text(f)
        elif item.model == "circuits.provider":
            ci_class = "provider"
            scope = []
        elif item.model == "circuits.circuit":
            ci_class = "circuit"
            provider = self._named(f, "provider", "circuits.provider")
            kind = self._named(f, "type", "circuits.circuittype")
            base = f"{provider} {f.get('cid') or ''}".strip()
            fields["description"] = common["description"] or kind
            scope = []
        elif item.model == "virtualization.cluster":
            ci_class = "cluster"
            kind = self._named(f, "type", "virtualization.clustertype")
            fields["description"] = common["description"] or kind
        else:  # virtualization.virtualmachine
            ci_class = "virtual_machine"
            cluster = self._named(f, "cluster", "virtualization.cluster")
            scope = [p for p in (site, cluster) if p]
        self._use_class(ci_class)
        self.pending[key] = _Pending(
            key, base, ci_class, fields, scope, item.where, empty=not base, pk=item.pk
        )
        return True

    def _device(self, item: Item, key: str, fields: dict[str, Any], site: str) -> bool:
        f = item.fields
        role_fields = self._ref(f, "role", "dcim.devicerole")
        role, extra = mapping.role(
            str(role_fields.get("slug") or ""), str(role_fields.get("name") or "")
        )
        if extra is not None:
            self.classes.setdefault(extra.name, extra)
        else:
            self._use_class(role.ci_class)
        device_type = self._ref(f, "device_type", "dcim.devicetype")
        maker = self._ref(device_type, "manufacturer", "dcim.manufacturer")
        model = str(device_type.get("model") or "")
        rack = self._named(f, "rack", "dcim.rack")
        position = f.get("position")
        where = SEPARATOR.join(p for p in (site, rack) if p)
        if rack and position not in (None, ""):
            where += f" U{_units(position)}"
        fields |= {
            "location": where,
            "serial_number": _text(f.get("serial")),
            "asset_tag": _text(f.get("asset_tag")),
            "model": " ".join(p for p in (str(maker.get("name") or ""), model) if p),
        }
        base = str(f.get("name") or "").strip()
        self.tiers[key] = End(key, role.tier, role.passive)
        self.pending[key] = _Pending(
            key, base or model or "Device", role.ci_class, fields,
            [p for p in (site, rack) if p], item.where, empty=not base, pk=item.pk,
        )  # fmt: skip
        return True

    def _status(self, item: Item) -> str:
        raw = item.fields.get("status")
        found = mapping.status(str(raw) if raw is not None else None)
        if found is None:
            self.note(
                "notice", item.where,
                stored(N_("Unknown NetBox status “%(status)s”: taken as in service."), status=raw),
                "status",
            )  # fmt: skip
            return "in_service"
        return found

    def _use_class(self, name: str) -> None:
        if name in mapping.CLASSES:
            self.classes.setdefault(name, mapping.CLASSES[name])

    def _ref(self, fields: Mapping[str, Any], name: str, model: str) -> Mapping[str, Any]:
        """The object a foreign key names: read from the source, else the API's nested copy."""
        value = fields.get(name)
        if isinstance(value, Mapping):  # inside an API's nested copy
            return self.o.get(model, value.get("id")) or value
        found = self.o.get(model, value)
        if found is not None:
            return found
        nested = fields.get("_nested", {}).get(name)
        return nested if isinstance(nested, Mapping) else {}

    def _named(self, fields: Mapping[str, Any], name: str, model: str) -> str:
        """The name of the object a foreign key names."""
        return str(self._ref(fields, name, model).get("name") or "").strip()

    # --- relations -------------------------------------------------------------------------

    def _relate(self, key: str, source: str, kind: str, target: str, where: str) -> bool:
        if source not in self.pending or target not in self.pending:
            return False
        self.estate.relations.append(EstateRelation(key, source, kind, target, where))
        return True

    def _derived_relations(self) -> None:
        """Relations read from objects' fields: where each thing stands, power, hosting."""
        for key, p in list(self.pending.items()):
            model, pk = key.rsplit(":", 1)
            f = self.o.get(model, int(pk)) or {}
            site = key_of("dcim.site", f.get("site"))
            location = key_of("dcim.location", f.get("location"))
            if model == "dcim.location":
                parent = key_of("dcim.location", f.get("parent"))
                self._in(key, (parent, site), p.where)
            elif model in ("dcim.rack", "dcim.powerpanel"):
                self._in(key, (location, site), p.where)
            elif model == "dcim.device":
                self._in(key, (key_of("dcim.rack", f.get("rack")), location, site), p.where)
                cluster = key_of("virtualization.cluster", f.get("cluster"))
                self._relate(f"{key}/cluster", key, "member_of", cluster, p.where)
            elif model == "dcim.powerfeed":
                panel = key_of("dcim.powerpanel", f.get("power_panel"))
                self._relate(f"{key}/panel", key, "depends_on", panel, p.where)
                rack = key_of("dcim.rack", f.get("rack"))
                self._relate(f"{key}/rack", rack, "depends_on", key, p.where)
            elif model == "circuits.circuit":
                provider = key_of("circuits.provider", f.get("provider"))
                self._relate(f"{key}/provider", provider, "provides", key, p.where)
            elif model == "virtualization.cluster":
                self._in(key, (location, site), p.where)
            elif model == "virtualization.virtualmachine":
                hosts = (
                    key_of("virtualization.cluster", f.get("cluster")),
                    key_of("dcim.device", f.get("device")),
                )
                if not any(self._relate(f"{key}/host", key, "runs_on", h, p.where) for h in hosts):
                    self.note(
                        "notice", p.where,
                        stored(N_("The VM has no cluster or device: it runs on nothing.")),
                    )  # fmt: skip

    def _in(self, key: str, places: tuple[str, ...], where: str) -> None:
        """``key depends_on`` the first of ``places`` (rack, location, site) in the estate."""
        for place in places:
            if self._relate(f"{key}/in", key, "depends_on", place, where):
                return

    def _termination_end(self, item: Item) -> None:
        f = item.fields
        cable, side = f.get("cable"), str(f.get("cable_end") or "")
        kind = f.get("termination_type")
        model = ".".join(kind) if isinstance(kind, list) else str(kind or "")
        if isinstance(cable, int) and side in ("A", "B"):
            end = {"model": model, "pk": f.get("termination_id"), "device": f.get("_device")}
            self.cable_ends[cable][side].append(end)

    def _end(self, end: Mapping[str, Any]) -> tuple[End, str] | None:
        """The CI at one cable end and the end's model, or ``None`` (not in the estate)."""
        model, pk = end.get("model") or "", end.get("pk")
        if model in mapping.TERMINATION_DEVICE_MODELS:
            device = end.get("device")
            if device is None:
                device = (self.o.get(model, pk) or {}).get("device")
            found = self.tiers.get(key_of("dcim.device", device))
            return (found, model) if found else None
        if model == "circuits.circuittermination":
            circuit = end.get("circuit")
            if circuit is None:
                circuit = (self.o.get(model, pk) or {}).get("circuit")
            key = key_of("circuits.circuit", circuit)
            return (End(key, None), model) if key in self.pending else None
        if model == "dcim.powerfeed":
            key = key_of(model, pk)
            return (End(key, None), model) if key in self.pending else None
        return None

    def _cable(self, item: Item) -> bool:
        if item.pk is None:
            self.note("not_carried", item.where, stored(N_("A cable without an id.")))
            return False
        ends = item.fields.get("_ends") or self.cable_ends.get(item.pk) or {"A": [], "B": []}
        sides = [[e for e in map(self._end, ends.get(s, [])) if e] for s in ("A", "B")]
        pairs = sorted(
            {(a, b) for a in sides[0] for b in sides[1] if a[0].ci != b[0].ci},
            key=lambda pair: (pair[0][0].ci, pair[1][0].ci),
        )
        if not pairs:
            why = (
                N_("%(label)s: its two ends are on the same device.")
                if all(sides)
                else N_(
                    "%(label)s: one of its ends is not an imported device, circuit or power feed."
                )
            )
            label = item.fields.get("label") or stored(N_("Cable %(id)s"), id=item.pk)
            self.note("not_carried", item.where, stored(why, label=label))
            return False
        made = False
        for n, ((a, a_model), (b, b_model)) in enumerate(pairs, 1):
            key = key_of("dcim.cable", item.pk) + (f"/{n}" if len(pairs) > 1 else "")
            if mapping.POWER_DRAWING in (a_model, b_model):
                drawing, feeding = (a, b) if a_model == mapping.POWER_DRAWING else (b, a)
                made |= self._relate(key, drawing.ci, "depends_on", feeding.ci, item.where)
            elif mapping.needs(a, b):
                made |= self._relate(key, a.ci, "connected_to", b.ci, item.where)
            else:
                made |= self._relate(key, b.ci, "connected_to", a.ci, item.where)
        return made

    def _circuit_end(self, item: Item) -> bool:
        f = item.fields
        circuit = key_of("circuits.circuit", f.get("circuit"))
        site = key_of("dcim.site", f.get("site"))
        if f.get("site") is None and f.get("termination_type") == "dcim.site":  # NetBox 4.2
            site = key_of("dcim.site", f.get("termination_id") or f.get("termination"))
        if item.pk is not None and self._relate(
            key_of(item.model, item.pk), circuit, "depends_on", site, item.where
        ):
            return True
        why = (
            N_("Circuit termination %(side)s: it ends at a provider network, which is not carried.")
            if f.get("provider_network")
            else N_("Circuit termination %(side)s: its circuit or site is not in the source.")
        )
        self.note("not_carried", item.where, stored(why, side=f.get("term_side", "")))
        return False

    # --- names -----------------------------------------------------------------------------

    def _names(self) -> None:
        level = {key: len(p.scope) if p.empty else 0 for key, p in self.pending.items()}
        while True:
            names = {key: _name(p, level[key]) for key, p in self.pending.items()}
            groups: dict[tuple[str, str], list[str]] = defaultdict(list)
            for key, p in self.pending.items():
                groups[(p.ci_class, names[key].lower())].append(key)
            clashing = [keys for keys in groups.values() if len(keys) > 1]
            if not clashing:
                break
            for keys in clashing:
                for key in keys:  # past the last prefix, NetBox's id makes them unique
                    level[key] = min(level[key] + 1, len(self.pending[key].scope) + 1)
        for key, p in self.pending.items():
            name = names[key]
            if p.empty:
                named = stored(N_("No name in NetBox: named “%(name)s”."), name=name)
                self.note("notice", p.where, named, "name")
            elif name != p.base:
                several = stored(
                    N_("“%(base)s” is the name of several %(ci_class)s CIs: named “%(name)s”."),
                    base=p.base, ci_class=p.ci_class.replace("_", " "), name=name,
                )  # fmt: skip
                self.note("notice", p.where, several, "name")
            fields = {k: _limit(k, v) for k, v in p.fields.items()}
            self.estate.cis.append(
                EstateCI(key, _limit("name", name), p.ci_class, fields, where=p.where)
            )


def _name(p: _Pending, level: int) -> str:
    """The name at a prefix level: 0 is NetBox's, 1..n prefixed with the first n scope parts,
    n + 1 with NetBox's id appended too."""
    parts = p.scope[: min(level, len(p.scope))]
    name = SEPARATOR.join([*parts, p.base])
    return f"{name} #{p.pk}" if level > len(p.scope) else name


def _limit(key: str, value: Any) -> Any:
    limit = LIMITS.get(key)
    if limit and isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _units(position: Any) -> str:
    try:
        number = float(position)
    except (TypeError, ValueError):
        return str(position)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _feed_text(f: Mapping[str, Any]) -> str:
    parts = [str(f.get(k) or "") for k in ("type", "supply", "phase")]
    volts, amps = f.get("voltage"), f.get("amperage")
    if volts:
        parts.append(f"{volts} V")
    if amps:
        parts.append(f"{amps} A")
    return " ".join(p for p in parts if p)


def _display(f: Mapping[str, Any]) -> str:
    for key in ("name", "address", "prefix", "cid", "label", "slug"):
        value = f.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
