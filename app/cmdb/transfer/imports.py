"""Import configuration items and relations from a CSV or JSON file, all or nothing.

Every row is checked first, with the CI services' own validation
(:func:`app.cmdb.services.validate_ci`) plus what only a file can get wrong: an unknown class,
person or group, a relation to a CI that is neither in the CMDB nor in the file, the same CI or
relation twice. The report lists every error with where it is (CSV line or JSON item), the
column and why. A dry run stops there and writes nothing; an import with any error writes
nothing either. Otherwise the rows go through the services (:func:`~app.cmdb.services.create_ci`,
:func:`~app.cmdb.services.update_ci`, :func:`~app.cmdb.services.relate`), so every change is in
the CIs' history like a change made by hand, with the import named as its reason, inside one
savepoint and one CMDB revision. Flushes only: the caller commits when ``report.ok``.

Rows are matched to existing CIs by class and name (case-insensitively, as names are unique per
class): a match is updated with the columns the file has, anything else is created. Relations
name their ends by name (and ``*_class`` when the name is used in several classes) or by id; a
relation already recorded is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Group, User
from app.cmdb import attributes, history, services
from app.cmdb.models import AttributeValue, CIClass, ConfigurationItem, RelationTypeRow
from app.cmdb.transfer import format as fmt
from app.cmdb.transfer import write as transfer_write
from app.cmdb.transfer.format import ATTR_PREFIX, Record, RowError, as_text, describe_where
from app.cmdb.transfer.relations import End, RelationPlan, check_relations
from app.cmdb.transfer.report import ImportReport
from app.errors import DomainError, Invalid
from app.extensions import db

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: ``phase`` is ``"checking"`` or ``"importing"``."""
CHUNK = 500
TEXT_FIELDS = (
    "name", "status", "environment", "description", "location", "asset_tag", "serial_number",
    "model", "warranty_end",
)  # fmt: skip
NUMBER_FIELDS = ("criticality", "users_count", "min_up", "min_up_percent")
PEOPLE = {"owner": "owner_id", "assigned_user": "assigned_user_id"}
GROUPS = {"support_group": "support_group_id", "users_group": "users_group_id"}
COLUMN_OF = {
    "owner_id": "owner",
    "assigned_user_id": "assigned_user",
    "support_group_id": "support_group",
    "users_group_id": "users_group",
}


def import_file(
    data: bytes,
    *,
    filename: str,
    actor: Any,
    dry_run: bool,
    file_format: str | None = None,
    kind: str | None = None,
    max_bytes: int | None = None,
    size: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check ``data`` and, unless ``dry_run`` or anything is wrong, import it (see the module
    docstring). Never raises for bad input: the report says what is wrong.

    A file over ``max_bytes`` is refused unread. An upload may be read only up to
    ``max_bytes + 1`` bytes: ``size`` then gives its real size for the message, if known.
    """
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:100] or "upload"
    report = ImportReport(filename=name, dry_run=dry_run)
    if max_bytes is not None and len(data) > max_bytes:
        report.too_large = True
        if size is None and len(data) > max_bytes + 1:
            size = len(data)  # more than an upload's first max_bytes + 1: the whole file
        report.add(RowError("", "", _too_large(size, max_bytes)))
        return report
    try:
        parsed = fmt.read(data, fmt=file_format or fmt.guess_format(name, data), kind=kind)
    except fmt.FileError as error:
        for row_error in error.errors:
            report.add(row_error)
        return report
    report.ci_rows, report.relation_rows = len(parsed.cis), len(parsed.relations)
    importer = Importer(report, progress or (lambda *_: None))
    importer.total = len(parsed)
    ci_plans = importer.check_cis(parsed.cis)
    relation_plans = check_relations(importer, parsed.relations)
    if report.ok and not dry_run:
        importer.apply(ci_plans, relation_plans, actor=actor, reason=history.import_reason(name))
    return report


@dataclass
class _CIPlan:
    """A checked row: the CI to update (``None``: create one), the row's fields and attribute
    values as the services take them, and (for a new CI) as ``validate_ci`` cleaned them."""

    record: Record
    ci_class: CIClass
    ci: ConfigurationItem | None
    fields: dict[str, Any]
    attribute_values: dict[str, Any]
    new: transfer_write.NewCI | None = None
    changed: bool = False


class _Abort(Exception):
    def __init__(self, error: RowError) -> None:
        self.error = error


class Importer:
    """The lookups an import needs, loaded once, and the checks and writes of its rows."""

    def __init__(self, report: ImportReport, progress: Progress) -> None:
        self.report = report
        self.progress = progress
        self.classes = {c.name: c for c in db.session.scalars(select(CIClass))}
        self.class_labels = {c.label.lower(): c for c in self.classes.values()}
        self.groups = dict(db.session.execute(select(Group.name, Group.id)).all())
        self.groups.update(
            {k.lower(): v for k, v in self.groups.items() if k.lower() not in self.groups}
        )
        self.types = {t.name: t for t in db.session.scalars(select(RelationTypeRow))}
        self.existing: dict[tuple[int, str], int] = {}
        self.names: dict[str, set[int]] = defaultdict(set)  # lower name → class ids
        rows = db.session.execute(
            select(ConfigurationItem.id, ConfigurationItem.class_id, ConfigurationItem.name)
        )
        for ci_id, class_id, ci_name in rows:
            self.existing[(class_id, ci_name.lower())] = ci_id
            self.names[ci_name.lower()].add(class_id)
        self.existing_ids = set(self.existing.values())
        self.in_file: dict[tuple[int, str], str] = {}  # key → where the CI's row is
        self.file_names: dict[str, set[int]] = defaultdict(set)  # lower name → class ids
        self.checked = 0
        self.total = 0
        self.users: dict[str, int] = {}
        self.cis: dict[int, ConfigurationItem] = {}
        self.definitions: dict[int, list[Any]] = {}
        self.values: dict[int, dict[int, Any]] = defaultdict(dict)  # CI → definition → value

    # --- configuration items -------------------------------------------------------------

    def check_cis(self, records: list[Record]) -> list[_CIPlan]:
        self._load_users(records)
        keys = [self._key(r) for r in records]
        self._load_cis([self.existing[k] for k in keys if k in self.existing])
        self._load_values(self.cis)
        plans = []
        for record, key in zip(records, keys, strict=True):
            plan = self._check_ci(record, key)
            if plan is not None:
                plans.append(plan)
            self.checked_one()
        self.report.cis_new = sum(1 for p in plans if p.new is not None)
        self.report.cis_changed = sum(1 for p in plans if p.changed)
        self.report.unchanged = len(plans) - self.report.cis_new - self.report.cis_changed
        return [p for p in plans if p.new is not None or p.changed]

    def checked_one(self) -> None:
        self.checked += 1
        self.progress("checking", self.checked, self.total)

    def _key(self, record: Record) -> tuple[int, str] | None:
        ci_class = self.class_named(as_text(record.values.get("class")))
        name = as_text(record.values.get("name"))
        return (ci_class.id, name.lower()) if ci_class is not None and name else None

    def _check_ci(self, record: Record, key: tuple[int, str] | None) -> _CIPlan | None:
        values = record.values
        errors: list[RowError] = []

        def error(column: str, message: str) -> None:
            errors.append(RowError(record.where, record.column(column), message))

        class_text = as_text(values.get("class"))
        ci_class = self.class_named(class_text)
        if not as_text(values.get("name")):
            error("name", "A CI needs a name.")
        if ci_class is None:
            error(
                "class",
                f"Unknown class “{class_text[:60]}”. Classes: {self._class_names()}."
                if class_text
                else "Give the CI's class.",
            )
        fields = self._fields(values, error)
        plan = None
        if key is not None and key in self.in_file:
            error(
                "name",
                f"This {ci_class.label.lower()} is already on {describe_where(self.in_file[key])}.",
            )
        elif key is not None:
            self.in_file[key] = record.where
            self.file_names[key[1]].add(key[0])
            ci = self.cis.get(self.existing.get(key, 0))
            plan = self._validate(record, ci_class, ci, fields, error)
        for row_error in errors:
            self.report.add(row_error)
        return None if errors else plan

    def _fields(self, values: dict[str, Any], error: Callable[[str, str], None]) -> dict[str, Any]:
        """Service fields from a row's columns: people and groups by name, text as text."""
        fields: dict[str, Any] = {}
        for key in TEXT_FIELDS:
            if key in values:
                fields[key] = None if values[key] is None else str(values[key])
        for key in NUMBER_FIELDS:
            if key in values:
                fields[key] = values[key]
        if fields.get("status"):
            fields["status"] = fields["status"].strip().lower().replace(" ", "_")
        if fields.get("environment"):
            fields["environment"] = fields["environment"].strip().lower()
        for column, key in PEOPLE.items():
            if column in values:
                username = as_text(values[column])
                fields[key] = self.users.get(username.lower()) if username else None
                if username and fields[key] is None:
                    error(column, f"No person has the username “{username[:150]}”.")
        for column, key in GROUPS.items():
            if column in values:
                group = as_text(values[column])
                fields[key] = self._group_id(group) if group else None
                if group and fields[key] is None:
                    error(column, f"No group is named “{group[:150]}”.")
        return fields

    def _validate(
        self,
        record: Record,
        ci_class: CIClass,
        ci: ConfigurationItem | None,
        fields: dict[str, Any],
        error: Callable[[str, str], None],
    ) -> _CIPlan:
        if ci_class.id not in self.definitions:
            self.definitions[ci_class.id] = attributes.definitions_for(ci_class)
        definitions = self.definitions[ci_class.id]
        known = {d.name for d in definitions}
        values = {
            key.removeprefix(ATTR_PREFIX): value
            for key, value in record.values.items()
            if key.startswith(ATTR_PREFIX)
            and (key.removeprefix(ATTR_PREFIX) in known or as_text(value))
        }
        if ci is None:  # as services.create_ci
            fields.setdefault("status", "in_service")
            fields.setdefault("users_count", 0)
        plan = _CIPlan(record, ci_class, ci, fields, values)
        try:
            clean, typed, _ = services.validate_ci(
                ci_class, fields, values, ci=ci, definitions=definitions
            )
        except Invalid as invalid:
            for key, messages in invalid.field_errors.items():
                column = ATTR_PREFIX + key[5:] if key.startswith("attr_") else key
                for message in messages:
                    error(COLUMN_OF.get(column, column), message)
            return plan
        if ci is None:
            plan.new = transfer_write.NewCI(ci_class, clean, typed)
        else:
            stored = self.values.get(ci.id, {})
            plan.changed = any(getattr(ci, k) != v for k, v in clean.items()) or any(
                stored.get(d) != v for d, v in typed.items()
            )
        return plan

    # --- writing -------------------------------------------------------------------------

    def apply(
        self,
        cis: list[_CIPlan],
        relations: list[RelationPlan],
        *,
        actor: Any,
        reason: history.Reason,
    ) -> None:
        """Write the checked plans in one savepoint (undone whole if anything fails): new CIs
        and relations in bulk, changes to existing CIs through ``services.update_ci``."""
        total = len(cis) + len(relations)
        new = [p for p in cis if p.new is not None]
        try:
            with db.session.begin_nested(), services.one_revision():
                ids = transfer_write.create_cis(
                    [p.new for p in new], self.definitions, actor=actor, reason=reason
                )
                created = {
                    (p.ci_class.id, p.new.fields["name"].lower()): (ci_id, p.new.fields["name"])
                    for p, ci_id in zip(new, ids, strict=True)
                }
                self.report.created = len(ids)
                for done, plan in enumerate((p for p in cis if p.ci is not None), len(ids) + 1):
                    self._update(plan, actor, reason)
                    self.progress("importing", done, total)
                self.report.relations_added = transfer_write.add_relations(
                    self._new_relations(relations, created), actor=actor, reason=reason
                )
                if ids or relations:
                    services.note_change()
                self.progress("importing", total, total)
        except (IntegrityError, StaleDataError):
            message = "The import conflicts with a change saved meanwhile: try again."
            self._aborted(RowError("", "", message))
            return
        except _Abort as abort:
            self._aborted(abort.error)
            return
        self.report.written = True

    def _aborted(self, error: RowError) -> None:
        self.report.add(error)
        self.report.created = self.report.updated = 0
        self.report.relations_added = 0

    def _update(self, plan: _CIPlan, actor: Any, reason: history.Reason) -> None:
        changes = self._guard(
            plan.record, services.update_ci, plan.ci, actor=actor,
            attribute_values=plan.attribute_values, reason=reason, **plan.fields,
        )  # fmt: skip
        if changes:
            self.report.updated += 1
        else:  # changed back meanwhile, or a difference the services ignore
            self.report.unchanged += 1

    def _new_relations(
        self, relations: list[RelationPlan], created: dict[tuple[int, str], tuple[int, str]]
    ) -> list[transfer_write.NewRelation]:
        """The relations with both ends as ``(id, name)``: existing CIs by id, new ones by key.

        :raise _Abort: an end was deleted since the check.
        """
        ends: dict[End, tuple[int, str]] = dict(created)
        wanted = sorted({e for p in relations for e in (p.source, p.target) if isinstance(e, int)})
        for start in range(0, len(wanted), CHUNK):
            query = select(ConfigurationItem.id, ConfigurationItem.name).where(
                ConfigurationItem.id.in_(wanted[start : start + CHUNK])
            )
            ends.update((ci_id, (ci_id, name)) for ci_id, name in db.session.execute(query))
        found = []
        for plan in relations:
            if plan.source not in ends or plan.target not in ends:
                message = "A CI of this relation was deleted during the import: try again."
                raise _Abort(RowError(plan.record.where, "", message))
            found.append(
                transfer_write.NewRelation(ends[plan.source], ends[plan.target], plan.type)
            )
        return found

    def _guard(self, record: Record, write: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a service; a refusal (a change saved by someone else since the check) aborts
        the import with the row's error."""
        try:
            return write(*args, **kwargs)
        except DomainError as error:
            raise _Abort(RowError(record.where, "", error.message)) from None
        except (IntegrityError, StaleDataError):
            message = "This row conflicts with a change saved during the import: try again."
            raise _Abort(RowError(record.where, "", message)) from None

    # --- lookups -------------------------------------------------------------------------

    def _group_id(self, name: str) -> int | None:
        """A group by its exact name, else by its name in any case."""
        return self.groups.get(name) or self.groups.get(name.lower())

    def class_named(self, text: str) -> CIClass | None:
        lower = text.strip().lower()
        return self.classes.get(lower) or self.class_labels.get(lower)

    def _class_names(self) -> str:
        return ", ".join(sorted(self.classes))

    def _load_cis(self, ids: Iterable[int]) -> None:
        wanted = sorted(set(ids) - set(self.cis))
        for start in range(0, len(wanted), CHUNK):
            query = select(ConfigurationItem).where(
                ConfigurationItem.id.in_(wanted[start : start + CHUNK])
            )
            self.cis.update((ci.id, ci) for ci in db.session.scalars(query))

    def _load_values(self, ci_ids: Iterable[int]) -> None:
        """The stored attribute values of these CIs, to tell an update from no change."""
        wanted = sorted(ci_ids)
        for start in range(0, len(wanted), CHUNK):
            query = select(AttributeValue).where(
                AttributeValue.ci_id.in_(wanted[start : start + CHUNK])
            )
            for row in db.session.scalars(query):
                self.values[row.ci_id][row.definition_id] = attributes.stored_value(row)

    def _load_users(self, records: list[Record]) -> None:
        names = sorted({as_text(r.values.get(c)).lower() for r in records for c in PEOPLE} - {""})
        for start in range(0, len(names), CHUNK):
            query = select(func.lower(User.username), User.id).where(
                User.username.in_(names[start : start + CHUNK])
            )
            self.users.update(db.session.execute(query).all())


def _too_large(size: int | None, limit: int) -> str:
    """``The file is 11 MB; the limit is 10 MB.``, in bytes when megabytes would read the same,
    or ``larger than the limit`` when the real size is not known."""
    if size is None:
        return f"The file is larger than the limit of {_size(limit)}."
    said, limit_said = _size(size), _size(limit)
    if said == limit_said:
        said, limit_said = f"{size:,} bytes", f"{limit:,} bytes"
    return f"The file is {said}; the limit is {limit_said}."


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count:,} bytes"
    return f"{count / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
