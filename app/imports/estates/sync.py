"""Apply an estate read from another tool (NetBox, iTop) to the CMDB: a sync, not a copy.

Every CI and relation of an :class:`~app.imports.estates.model.Estate` is keyed by an
external reference, ``ExternalRef(system, "ci" | "relation", key)``, holding a fingerprint of
the source data last applied. :func:`apply` compares the estate with those references:

* a key never seen is **created** (CIs in a few multi-row ``INSERT`` s through
  :mod:`app.cmdb.transfer.write`, with their history entries);
* a key whose fingerprint is unchanged is left **untouched** (even if someone edited the CI
  here since: the source wins only when the source changes);
* a changed key is **updated** through :func:`app.cmdb.services.update_ci` (audited, the run
  named as the reason); a CI whose class changed is retired and made again in its new class;
* a key known before but absent from the source is **retired** (a CI's status becomes
  retired, it is never deleted; a relation is removed).

Missing classes are created under their ``parent`` (a hardware class stays hardware), with the
class attributes the estate fills; relation types must be the CMDB's own (others are refused
per relation). A CI is refused (a ``skipped`` report line) when its fields break the CI
services' rules, or when its name is taken in its class by a CI this system did not import
(**refused, not matched**: a CI made by hand or by another tool is never taken over silently;
rename one of them and run again). Parallel relations (two cables between the same devices)
keep a key each; the CMDB stores a relation once per (source, type, target), so they share one
row, which stays while any of them is in the source.

A dry run computes the same plan and writes only the run and its report: the diff, a line per
CI and relation it would create, update or retire. A real run writes everything in one
savepoint and one CMDB revision; a conflict with a change saved meanwhile undoes it whole and
fails the run. Flushes only: the caller commits (the run and its report in any case).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.cmdb import attributes, history, services
from app.cmdb.classes.services import add_attribute, add_class
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import (
    AttributeDefinition,
    AttributeType,
    CIClass,
    CIRelation,
    ConfigurationItem,
    RelationTypeRow,
)
from app.cmdb.transfer import write as transfer_write
from app.errors import Invalid
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import ARGS, MSG, english, stored
from app.imports import refs, runs
from app.imports.estates.model import Estate, EstateCI, EstateClass, EstateRelation, Text
from app.imports.models import ExternalRef, ImportRun, ProblemKind

CI_KIND = "ci"
RELATION_KIND = "relation"
CI_OBJECT = "ci"
RELATION_OBJECT = "ci_relation"
CHUNK = 500
SHOWN_IN_HEADLINE = 10  # names listed in a diff headline ("would create 12 CIs: a, b, ...")
# A diff headline, as a real run and a dry run say it.
HEADLINES: dict[str, tuple[str, str]] = {
    "create classes": (
        N_("create %(count)s classes: %(names)s"),
        N_("would create %(count)s classes: %(names)s"),
    ),
    "create CIs": (
        N_("create %(count)s CIs: %(names)s"),
        N_("would create %(count)s CIs: %(names)s"),
    ),
    "update CIs": (
        N_("update %(count)s CIs: %(names)s"),
        N_("would update %(count)s CIs: %(names)s"),
    ),
    "retire CIs": (
        N_("retire %(count)s CIs: %(names)s"),
        N_("would retire %(count)s CIs: %(names)s"),
    ),
    "add relations": (
        N_("add %(count)s relations: %(names)s"),
        N_("would add %(count)s relations: %(names)s"),
    ),
    "remove relations": (
        N_("remove %(count)s relations: %(names)s"),
        N_("would remove %(count)s relations: %(names)s"),
    ),
}

Triple = tuple[int, int, str]  # (source id, target id, type); negative ids: CIs not made yet


@dataclass
class SyncResult:
    """What a sync did (or, in a dry run, would do): tallies, the classes it created, and the
    diff (headlines first, then one line per CI and relation changed)."""

    dry_run: bool = False
    cis_created: int = 0
    cis_updated: int = 0
    cis_unchanged: int = 0
    cis_retired: int = 0
    cis_skipped: int = 0
    relations_created: int = 0
    relations_updated: int = 0
    relations_unchanged: int = 0
    relations_removed: int = 0
    relations_skipped: int = 0
    classes_created: list[str] = field(default_factory=list)
    attributes_created: list[str] = field(default_factory=list)
    # The report's texts are stored messages (app.i18n.stored), worded for each reader.
    headlines: list[Text] = field(default_factory=list)
    diff: list[tuple[str, Text]] = field(default_factory=list)  # (key, line)
    refused: list[tuple[str, str, Text]] = field(default_factory=list)  # (where, column, why)
    failed: Text | None = None  # why a real run was undone whole

    COUNTED = (
        "cis_created", "cis_updated", "cis_unchanged", "cis_retired", "cis_skipped",
        "relations_created", "relations_updated", "relations_unchanged", "relations_removed",
        "relations_skipped",
    )  # fmt: skip

    def counts(self) -> dict[str, int]:
        tallies = {key: getattr(self, key) for key in self.COUNTED}
        tallies["classes_created"] = len(self.classes_created)
        return tallies

    @property
    def changed(self) -> bool:
        return any(
            (self.cis_created, self.cis_updated, self.cis_retired, self.relations_created,
             self.relations_updated, self.relations_removed, self.classes_created),
        )  # fmt: skip


class _CIRow(NamedTuple):
    """What the plan compares of a CI already here (full rows are loaded only for changes)."""

    id: int
    class_id: int
    name: str
    status: Lifecycle


@dataclass
class _CIPlan:
    item: EstateCI
    ci_class: CIClass
    fields: dict[str, Any]
    values: dict[int, Any]
    fingerprint: str
    ref: ExternalRef | None = None
    ci: _CIRow | None = None
    action: str = "create"  # create, update, recreate (class changed), unchanged


def apply(
    estate: Estate,
    *,
    run: ImportRun,
    dry_run: bool,
    actor: Any = None,
) -> SyncResult:
    """Sync the CMDB with ``estate`` (see the module rules) and note the report on ``run``:
    the estate's own notes, a line per CI or relation refused, and in a dry run the diff.
    Adds the tallies to ``run.counts``; does not finish the run. Flushes only."""
    result = SyncResult(dry_run=dry_run)
    sync = _Sync(estate, run, result, actor)
    if dry_run:
        sync.plan_and_write(write=False)
    else:
        try:
            with db.session.begin_nested(), services.one_revision():
                sync.plan_and_write(write=True)
        except (IntegrityError, StaleDataError, Invalid):
            result.failed = stored(
                N_(
                    "The CMDB changed while the import was writing (a CI or relation saved "
                    "meanwhile): nothing was imported, run it again."
                )
            )
            runs.problem(run, ProblemKind.ERROR, result.failed)
    # The report reads from the outline down: what changes, what was refused, the names
    # made, each change (dry run), then what the source holds that is not carried.
    lines: list[tuple[str, Text, str | int, str]] = []
    if dry_run:
        lines += [(ProblemKind.NOTICE, line, "", "") for line in result.headlines]
    lines += [(ProblemKind.SKIPPED, m, where, column) for where, column, m in result.refused]
    notes = sorted(estate.notes, key=lambda n: n.kind == ProblemKind.NOT_CARRIED)
    carried = [(n.kind, n.message, n.where, n.column) for n in notes]
    split = sum(1 for n in notes if n.kind != ProblemKind.NOT_CARRIED)
    lines += carried[:split]
    if dry_run:
        lines += [(ProblemKind.NOTICE, line, key, "") for key, line in result.diff]
    lines += carried[split:]
    runs.problems(run, lines)
    runs.add_counts(run, result.counts())
    return result


class _Sync:
    def __init__(self, estate: Estate, run: ImportRun, result: SyncResult, actor: Any) -> None:
        self.estate = estate
        self.system = estate.system
        self.run = run
        self.result = result
        self.actor = actor
        self.reason = stored(
            N_("import run %(run)s from %(system)s"), run=run.id, system=estate.system
        )
        self.classes: dict[str, CIClass] = {}
        self.definitions: dict[str, list[AttributeDefinition]] = {}
        self.kept: dict[str, int] = {}  # refused this time, made before: left as it was
        # A dry run's attributes to be added, by class: its CIs are checked against them too.
        self.planned: dict[str, list[AttributeDefinition]] = {}

    def plan_and_write(self, *, write: bool) -> None:
        self.write = write
        self._classes()
        plans, retiring = self._plan_cis()
        ids = self._write_cis(plans, retiring)
        self._relations(ids)

    # --- reporting -------------------------------------------------------------------------

    def _refuse(self, where: str, message: Text, column: str = "") -> None:
        self.result.refused.append((where, column, message))

    def _line(self, key: str, text: Text) -> None:
        if not self.write:
            self.result.diff.append((key, text))

    def _headline(self, what: str, names: list[str]) -> None:
        """A diff headline: ``what`` is a key of :data:`HEADLINES` (``create CIs``)."""
        if not names:
            return
        shown: Text = ", ".join(names[:SHOWN_IN_HEADLINE])
        if len(names) > SHOWN_IN_HEADLINE:
            shown = stored(
                N_("%(names)s and %(more)s more"), names=shown, more=len(names) - SHOWN_IN_HEADLINE
            )
        message = HEADLINES[what][0 if self.write else 1]
        self.result.headlines.append(stored(message, count=len(names), names=shown))

    # --- classes ---------------------------------------------------------------------------

    def _classes(self) -> None:
        self.classes = {c.name: c for c in db.session.scalars(select(CIClass))}
        wanted = {c.name: c for c in self.estate.classes}
        made: list[str] = []
        for spec in _parents_first(self.estate.classes):
            ci_class = self.classes.get(spec.name)
            if ci_class is None:
                parent = self.classes.get(spec.parent) if spec.parent else None
                if spec.parent and parent is None:
                    continue  # its CIs are refused with the reason
                ci_class = self._new_class(spec, parent)
                self.classes[spec.name] = ci_class
                made.append(spec.name)
            self._class_attributes(spec, ci_class)
        self.result.classes_created = made
        self._headline("create classes", made)
        for name in wanted:
            if name in self.classes:
                ci_class = self.classes[name]
                self.definitions[name] = [
                    *self._definitions_of(ci_class),
                    *self._planned_for(ci_class),
                ]

    def _planned_for(self, ci_class: CIClass | None) -> list[AttributeDefinition]:
        """The attributes a dry run would add to ``ci_class`` and its ancestors."""
        found: list[AttributeDefinition] = []
        while ci_class is not None:
            found += self.planned.get(ci_class.name, [])
            ci_class = ci_class.parent
        return found

    def _new_class(self, spec: EstateClass, parent: CIClass | None) -> CIClass:
        line = (
            stored(
                N_("create class %(name)s (%(label)s) under %(parent)s"),
                name=spec.name, label=spec.label, parent=parent.name,
            )
            if parent is not None
            else stored(N_("create class %(name)s (%(label)s)"), name=spec.name, label=spec.label)
        )  # fmt: skip
        self._line(f"class {spec.name}", line)
        hardware = spec.is_hardware or bool(parent and parent.is_hardware)
        if self.write:
            return add_class(
                actor=self.actor, name=spec.name, label=spec.label, parent=parent,
                is_hardware=hardware, description=f"Created by an import from {self.system}.",
            )  # fmt: skip
        # A dry run checks CIs against a class that is never added to the session.
        return CIClass(name=spec.name, label=spec.label, parent=parent, is_hardware=hardware)

    def _definitions_of(self, ci_class: CIClass) -> list[AttributeDefinition]:
        if ci_class.id is None:  # a dry run's class to be
            return []
        return attributes.definitions_for(ci_class)

    def _class_attributes(self, spec: EstateClass, ci_class: CIClass) -> None:
        have = {d.name for d in self._definitions_of(ci_class)}
        for name, type_ in spec.attributes:
            if name in have:
                continue
            self._line(
                f"class {spec.name}",
                stored(
                    N_("add attribute %(name)s (%(type)s) to %(class_name)s"),
                    name=name, type=type_, class_name=spec.name,
                ),
            )  # fmt: skip
            self.result.attributes_created.append(f"{spec.name}.{name}")
            label = name.replace("_", " ").capitalize()
            if self.write:
                add_attribute(
                    actor=self.actor, ci_class=ci_class, name=name, label=label, type_=type_,
                )  # fmt: skip
            else:  # never added to the session: the dry run only checks values against it
                self.planned.setdefault(spec.name, []).append(
                    AttributeDefinition(
                        name=name, label=label, type=AttributeType(type_), choices=[]
                    )
                )

    # --- CIs -------------------------------------------------------------------------------

    def _plan_cis(self) -> tuple[list[_CIPlan], list[tuple[ExternalRef, _CIRow]]]:
        known = refs.all_of(self.system, CI_KIND)
        existing = _load_cis(r.object_id for r in known.values() if r.object_type == CI_OBJECT)
        owned = {r.object_id for r in known.values() if r.object_type == CI_OBJECT}
        plans: list[_CIPlan] = []
        seen: set[str] = set()
        for item in self.estate.cis:
            if item.key in seen:
                self._refuse(
                    item.where or item.key,
                    stored(N_("%(key)s appears twice; kept the first."), key=item.key),
                )
                self.result.cis_skipped += 1
                continue
            seen.add(item.key)
            plan = self._check_ci(item)
            if plan is None:
                self.result.cis_skipped += 1
                ref = known.get(item.key)
                if ref is not None and ref.object_id in existing:
                    self.kept[item.key] = ref.object_id
                continue
            plan.ref = known.get(item.key)
            if plan.ref is not None and plan.ref.object_type == CI_OBJECT:
                plan.ci = existing.get(plan.ref.object_id)
            plan.action = _action(plan)
            plans.append(plan)
        retiring = [
            (ref, existing[ref.object_id])
            for key, ref in known.items()
            if key not in seen
            and ref.object_id in existing
            and existing[ref.object_id].status is not Lifecycle.RETIRED
        ]
        plans = self._check_names(plans, owned)
        return plans, retiring

    def _check_ci(self, item: EstateCI) -> _CIPlan | None:
        where = item.where or item.key
        ci_class = self.classes.get(item.ci_class)
        if ci_class is None:
            self._refuse(
                where,
                stored(
                    N_("Its class “%(class_name)s” does not exist and cannot be made."),
                    class_name=item.ci_class,
                ),
            )
            return None
        fields = {"status": Lifecycle.IN_SERVICE, "users_count": 0, **item.fields}
        fields["name"] = item.name
        try:
            clean, values, _ = services.validate_ci(
                ci_class, fields, dict(item.attributes),
                definitions=self.definitions.get(item.ci_class, []),
            )  # fmt: skip
        except Invalid as error:
            for column, messages in error.field_errors.items():
                problems = "; ".join(str(m) for m in messages)  # in the CMDB's words
                self._refuse(
                    where,
                    stored(N_("%(name)s: %(problems)s"), name=item.name, problems=problems),
                    column,
                )
            return None
        data = {
            "name": item.name,
            "class": item.ci_class,
            "fields": dict(item.fields),
            "attributes": dict(item.attributes),
        }
        return _CIPlan(item, ci_class, clean, values, refs.fingerprint(data))

    def _check_names(self, plans: list[_CIPlan], owned: set[int]) -> list[_CIPlan]:
        """Refuse a CI whose name is taken in its class by a CI not imported from this system
        (or twice in the estate). Renames of our own CIs free their old names first."""
        class_ids = {p.ci_class.id for p in plans if p.ci_class.id is not None}
        taken: dict[tuple[int | None, str], int] = {}
        for start in range(0, len(sorted(class_ids)), CHUNK):
            chunk = sorted(class_ids)[start : start + CHUNK]
            query = select(
                ConfigurationItem.class_id, ConfigurationItem.name, ConfigurationItem.id
            ).where(ConfigurationItem.class_id.in_(chunk))
            for class_id, name, ci_id in db.session.execute(query):
                taken[(class_id, name.lower())] = ci_id
        for plan in plans:  # our CIs that stay in their class and take their new names
            if plan.ci is not None and plan.action == "update":
                taken.pop((plan.ci.class_id, plan.ci.name.lower()), None)
        kept = []
        estate_names: set[tuple[str, str]] = set()
        for plan in plans:
            name = plan.item.name.lower()
            mine = plan.ci.id if plan.ci is not None and plan.action != "recreate" else None
            holder = taken.get((plan.ci_class.id, name)) if plan.ci_class.id is not None else None
            problem = ""
            if (plan.ci_class.name, name) in estate_names:
                problem = N_("%(name)s: another CI of the source has the same name in this class.")
            elif holder is not None and holder != mine:
                problem = (
                    N_(
                        "%(name)s: a %(class_label)s with this name already exists here, imported "
                        "by this system and retired; it is not taken over: rename one of them "
                        "and run again."
                    )
                    if holder in owned
                    else N_(
                        "%(name)s: a %(class_label)s with this name already exists here, not "
                        "imported from this system; it is not taken over: rename one of them "
                        "and run again."
                    )
                )
            if problem:
                self._refuse(
                    plan.item.where or plan.item.key,
                    stored(problem, name=plan.item.name, class_label=plan.ci_class.label.lower()),
                )
                self.result.cis_skipped += 1
                if plan.ci is not None:
                    self.kept[plan.item.key] = plan.ci.id
                continue
            estate_names.add((plan.ci_class.name, name))
            kept.append(plan)
        return kept

    def _write_cis(
        self, plans: list[_CIPlan], retiring: list[tuple[ExternalRef, _CIRow]]
    ) -> dict[str, int]:
        """Create, update, retire; returns the CI id of every estate key now in the CMDB
        (negative placeholders in a dry run for CIs not made yet)."""
        ids: dict[str, int] = dict(self.kept)  # a refused CI keeps its relations
        created = [p for p in plans if p.action in ("create", "recreate")]
        updated = [p for p in plans if p.action == "update"]
        for plan in plans:
            if plan.action == "unchanged":
                assert plan.ci is not None
                ids[plan.item.key] = plan.ci.id
                self.result.cis_unchanged += 1
        recreated = [(p.ref, p.ci) for p in created if p.action == "recreate"]
        leaving = [
            (ref, ci)
            for ref, ci in [*retiring, *recreated]
            if ci is not None and ci.status is not Lifecycle.RETIRED
        ]
        full = _load_full([p.ci.id for p in updated if p.ci] + [ci.id for _, ci in leaving])
        for plan in updated:
            assert plan.ci is not None
            ci = full[plan.ci.id]
            self._line(
                plan.item.key,
                stored(
                    N_("update %(name)s: %(changes)s"),
                    name=plan.item.name, changes=_describe(plan, ci),
                ),
            )  # fmt: skip
            if self.write:
                services.update_ci(
                    ci, actor=self.actor, reason=self.reason,
                    attribute_values=dict(plan.item.attributes), **plan.fields,
                )  # fmt: skip
                refs.remember(
                    self.system, CI_KIND, plan.item.key, object_type=CI_OBJECT,
                    object_id=plan.ci.id, fingerprint=plan.fingerprint, run=self.run,
                    existing=plan.ref,
                )  # fmt: skip
            ids[plan.item.key] = plan.ci.id
            self.result.cis_updated += 1
        retired_names = []
        for ref, row in leaving:
            assert row is not None
            retired_names.append(row.name)
            self._line(
                ref.external_id if ref else row.name, stored(N_("retire %(name)s"), name=row.name)
            )
            if self.write:
                services.update_ci(
                    full[row.id], actor=self.actor, reason=self.reason, status=Lifecycle.RETIRED
                )
                if ref is not None:
                    ref.fingerprint = None  # back in the source: updated, not unchanged
            self.result.cis_retired += 1
        for plan in created:
            line = (
                N_("create %(class_name)s %(name)s")
                if plan.action == "create"
                else N_("make again (class changed) %(class_name)s %(name)s")
            )
            self._line(
                plan.item.key,
                stored(line, class_name=plan.ci_class.name, name=plan.item.name),
            )
        self.result.cis_created += len(created)
        if self.write:
            new = [transfer_write.NewCI(p.ci_class, p.fields, p.values) for p in created]
            definitions = {
                p.ci_class.id: self.definitions.get(p.ci_class.name, []) for p in created
            }
            made = transfer_write.create_cis(new, definitions, actor=self.actor, reason=self.reason)
            for plan, ci_id in zip(created, made, strict=True):
                refs.remember(
                    self.system, CI_KIND, plan.item.key, object_type=CI_OBJECT, object_id=ci_id,
                    fingerprint=plan.fingerprint, run=self.run, existing=plan.ref,
                )  # fmt: skip
                ids[plan.item.key] = ci_id
            if made:
                services.note_change()
        else:
            for n, plan in enumerate(created, 1):
                ids[plan.item.key] = -n
        self._headline("create CIs", [p.item.name for p in created])
        self._headline("update CIs", [p.item.name for p in updated])
        self._headline("retire CIs", retired_names)
        return ids

    # --- relations -------------------------------------------------------------------------

    def _relations(self, ids: Mapping[str, int]) -> None:
        types = {t.name: t for t in db.session.scalars(select(RelationTypeRow))}
        known = refs.all_of(self.system, RELATION_KIND)
        names = self._names(ids)
        key_names = {item.key: item.name for item in self.estate.cis}
        wanted: dict[str, tuple[EstateRelation, Triple, str]] = {}
        for relation in self.estate.relations:
            problem = self._check_relation(relation, ids, types, wanted)
            if problem:
                self._refuse(relation.where or relation.key, problem)
                self.result.relations_skipped += 1
                continue
            triple = (ids[relation.source], ids[relation.target], relation.type)
            data = {"source": relation.source, "type": relation.type, "target": relation.target}
            wanted[relation.key] = (relation, triple, refs.fingerprint(data))
        ours = {r.object_id for r in known.values() if r.object_type == RELATION_OBJECT}
        made_here = {
            r.object_id for r in known.values() if r.object_type == RELATION_OBJECT and r.imported
        }
        rows = _load_relations(ours, {t for _, t, _ in wanted.values()})
        by_id = {row_id: triple for triple, row_id in rows.items()}
        wanted_triples = {t for _, t, _ in wanted.values()}

        added: list[tuple[str, Triple]] = []
        described: list[str] = []
        for key, (relation, triple, print_) in wanted.items():
            ref = known.get(key)
            same_row = ref is not None and by_id.get(ref.object_id) == triple
            if same_row and ref is not None and ref.fingerprint == print_:
                self.result.relations_unchanged += 1
                continue
            text = _relation_text(relation, types, key_names)
            if ref is None:
                self.result.relations_created += 1
                self._line(key, stored(N_("relate %(relation)s"), relation=text))
                described.append(text)
            else:
                self.result.relations_updated += 1
                self._line(key, stored(N_("change to %(relation)s"), relation=text))
            added.append((key, triple))
        removed_keys = [key for key in known if key not in wanted]
        old_names = _names_of(end for triple in by_id.values() for end in triple[:2])
        removed_lines: list[tuple[str, Text]] = []
        for key in removed_keys:
            self.result.relations_removed += 1
            old = by_id.get(known[key].object_id)
            if old is None:
                removed_lines.append(
                    (key, stored(N_("%(key)s (no longer recorded here)"), key=key))
                )
                continue
            source, target, kind = old
            forward = types[kind].forward if kind in types else kind
            removed_lines.append((key, f"{old_names[source]} {forward} {old_names[target]}"))
        for key, line in removed_lines:
            self._line(key, stored(N_("remove %(relation)s"), relation=line))
        gone = [
            row_id
            for row_id, triple in by_id.items()
            if row_id in made_here and triple not in wanted_triples
        ]
        self._headline("add relations", described)
        self._headline("remove relations", [english(line) for _, line in removed_lines])
        if not self.write:
            return
        self._remove_rows(gone, types)
        new_triples = sorted({t for _, t in added if t not in rows})
        if new_triples:
            transfer_write.add_relations(
                [
                    transfer_write.NewRelation((s, names[s]), (t, names[t]), kind)
                    for s, t, kind in new_triples
                ],
                actor=self.actor,
                reason=self.reason,
            )
            services.note_change()
            rows.update(_load_relations(set(), set(new_triples)))
        for key, triple in added:
            ref = known.get(key)
            row_id = rows[triple]
            imported = triple in new_triples or (ref is not None and ref.imported)
            refs.remember(
                self.system, RELATION_KIND, key, object_type=RELATION_OBJECT, object_id=row_id,
                fingerprint=wanted[key][2], run=self.run, existing=ref, imported=imported,
            )  # fmt: skip
        if removed_keys:
            db.session.execute(
                delete(ExternalRef).where(ExternalRef.id.in_([known[k].id for k in removed_keys]))
            )

    def _check_relation(
        self,
        relation: EstateRelation,
        ids: Mapping[str, int],
        types: Mapping[str, RelationTypeRow],
        wanted: Mapping[str, Any],
    ) -> Text:
        if relation.key in wanted:
            return stored(
                N_("The relation %(key)s appears twice; kept the first."), key=relation.key
            )
        if relation.type not in types:
            return stored(
                N_("Unknown relation type “%(type)s”: use one of %(types)s."),
                type=relation.type, types=", ".join(sorted(types)),
            )  # fmt: skip
        for end in (relation.source, relation.target):
            if end not in ids:
                return stored(
                    N_("Its end %(end)s was not imported (see its own report line)."), end=end
                )
        if ids[relation.source] == ids[relation.target]:
            return stored(N_("A CI cannot be related to itself."))
        return ""

    def _names(self, ids: Mapping[str, int]) -> dict[int, str]:
        names = {ci_id: key for key, ci_id in ids.items()}
        by_key = {item.key: item.name for item in self.estate.cis}
        return {ci_id: by_key.get(key, key) for ci_id, key in names.items()}

    def _remove_rows(self, row_ids: list[int], types: Mapping[str, RelationTypeRow]) -> None:
        if not row_ids:
            return
        found = db.session.execute(
            select(
                CIRelation.id, CIRelation.source_id, CIRelation.target_id, CIRelation.type
            ).where(CIRelation.id.in_(row_ids))
        ).all()
        ends = _names_of({end for row in found for end in row[1:3]})
        entries = [
            entry
            for _, source, target, kind in found
            for entry in history.relation_entries(
                "relation_removed", (source, ends[source]), (target, ends[target]), types[kind],
                self.reason,
            )
        ]  # fmt: skip
        db.session.execute(delete(CIRelation).where(CIRelation.id.in_(row_ids)))
        history.record_many(self.actor, "relation_removed", entries)
        services.note_change()


def _parents_first(classes: Iterable[EstateClass]) -> list[EstateClass]:
    pending = list(classes)
    names = {c.name for c in pending}
    ordered: list[EstateClass] = []
    placed: set[str] = set()
    while pending:
        ready = [c for c in pending if c.parent not in names or c.parent in placed]
        if not ready:  # a loop of parents: the rest are refused when their parent is missing
            ordered.extend(pending)
            break
        for spec in ready:
            ordered.append(spec)
            placed.add(spec.name)
        pending = [c for c in pending if c.name not in placed]
    return ordered


def _action(plan: _CIPlan) -> str:
    if plan.ci is None:
        return "create"
    if plan.ci.class_id != plan.ci_class.id:
        return "recreate"
    if plan.ref is not None and plan.ref.fingerprint == plan.fingerprint:
        return "unchanged"
    return "update"


def _describe(plan: _CIPlan, ci: ConfigurationItem) -> Text:
    """What an update changes: ``field old → new`` for each field, separated by semicolons."""
    changes: dict[str, Text] = {}
    for key, value in plan.fields.items():
        old = getattr(ci, key)
        if old != value:
            changes[f"change{len(changes)}"] = stored(
                N_("%(field)s %(old)s → %(new)s"), field=key, old=_shown(old), new=_shown(value)
            )
    if not changes:
        return stored(N_("attributes"))
    # One message of its parts (as app.i18n.stored.lines, with semicolons): no id to translate.
    return {MSG: "; ".join(f"%({name})s" for name in changes), ARGS: changes}


def _shown(value: Any) -> Text:
    if value is None or value == "":
        return stored(N_("(empty)"))
    return str(getattr(value, "value", value))


def _load_cis(ids: Iterable[int]) -> dict[int, _CIRow]:
    """What the plan compares of these CIs, by id (columns only: no ORM objects)."""
    wanted = sorted(set(ids))
    found: dict[int, _CIRow] = {}
    columns = (
        ConfigurationItem.id, ConfigurationItem.class_id, ConfigurationItem.name,
        ConfigurationItem.status,
    )  # fmt: skip
    for start in range(0, len(wanted), CHUNK):
        query = select(*columns).where(ConfigurationItem.id.in_(wanted[start : start + CHUNK]))
        found.update((row[0], _CIRow(*row)) for row in db.session.execute(query))
    return found


def _load_full(ids: Iterable[int]) -> dict[int, ConfigurationItem]:
    """The CIs a run changes, as ORM objects for the CMDB's services."""
    wanted = sorted(set(ids))
    found: dict[int, ConfigurationItem] = {}
    for start in range(0, len(wanted), CHUNK):
        query = select(ConfigurationItem).where(
            ConfigurationItem.id.in_(wanted[start : start + CHUNK])
        )
        found.update((ci.id, ci) for ci in db.session.scalars(query))
    return found


def _names_of(ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        query = select(ConfigurationItem.id, ConfigurationItem.name).where(
            ConfigurationItem.id.in_(wanted[start : start + CHUNK])
        )
        found.update((ci_id, name) for ci_id, name in db.session.execute(query))
    return found


def _load_relations(row_ids: set[int], triples: set[Triple]) -> dict[Triple, int]:
    """The relation rows with these ids, and those recorded for these triples (by hand or by
    an earlier run), as ``{triple: id}``."""
    found: dict[Triple, int] = {}
    ordered = sorted(row_ids)
    for start in range(0, len(ordered), CHUNK):
        query = select(
            CIRelation.id, CIRelation.source_id, CIRelation.target_id, CIRelation.type
        ).where(CIRelation.id.in_(ordered[start : start + CHUNK]))
        found.update(((s, t, kind), row_id) for row_id, s, t, kind in db.session.execute(query))
    sources = sorted({s for s, _, _ in triples if s > 0})
    for start in range(0, len(sources), CHUNK):
        query = select(
            CIRelation.id, CIRelation.source_id, CIRelation.target_id, CIRelation.type
        ).where(CIRelation.source_id.in_(sources[start : start + CHUNK]))
        for row_id, s, t, kind in db.session.execute(query):
            if (s, t, kind) in triples:
                found[(s, t, kind)] = row_id
    return found


def _relation_text(
    relation: EstateRelation, types: Mapping[str, RelationTypeRow], names: Mapping[str, str]
) -> str:
    source, target = names.get(relation.source, relation.source), names.get(relation.target)
    return f"{source} {types[relation.type].forward} {target or relation.target}"
