"""iTop's XML and CSV exports read into an :class:`~app.imports.estates.model.Estate`.

Pure code (no Flask, no database). :func:`read` takes the files of an export (XML ``<Set>``
documents of ``<Class id="…">`` objects, as iTop's export and its sample data write them, or
one CSV per class with iTop's column headers) and maps them as :mod:`.mapping` says. Every
object read is accounted for exactly once in :attr:`Reading.outcomes`: a CI, a relation, a
typology folded into CI fields, not carried (with the reason), a duplicate, or skipped (with
the reason); report lines say which.

XML is parsed with ``defusedxml``: a document declaring entities is refused before anything is
expanded, whatever the Expat library underneath (a billion-laughs file is an error on its
file, never minutes of CPU or gigabytes of memory).

Ids. iTop numbers every configuration item in one sequence (its ``FunctionalCI`` table), so an
external key such as ``system_id`` or ``functionalci_id`` names a CI of any class. Files of
iTop's sample data sets come from separate modules and reuse numbers (a ``Server`` 15 and a
``VirtualMachine`` 15), so a key is resolved first among the objects of the referring file's
folder, then among all files; when it still names several objects it is not carried (a report
line says which). A CI's key is ``<class>::<id>``; a relation's key names its type and both
ends (and the ports of a network link), so a second export with renumbered link objects syncs.

Names. The CMDB wants a name unique within a class: an empty name becomes ``<class> <id>``;
CIs of one CI class sharing a name get a qualifier in brackets, the first of these that tells
them apart: the CI they run on, their organisation, their location, else ``iTop <id>``
(``Oracle (Server2)``, ``Oracle (VM3)``). A notice names each renamed CI.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.i18n import N_
from app.i18n.stored import english, stored
from app.imports.estates.model import Estate, EstateCI, EstateClass, EstateRelation, Note, Text
from app.imports.itop import mapping as m

MAX_FILE_BYTES = 200 * 1024 * 1024  # one export file, uncompressed
ANY_CI = m.FUNCTIONAL_CI

# External keys that name typology objects (folded into fields) or organisations.
TYPOLOGY_KEYS: Mapping[str, tuple[str, ...]] = {
    "org_id": ("Organization",),
    "location_id": ("Location",),
    "model_id": ("Model",),
    "brand_id": ("Brand",),
    "networkdevicetype_id": ("NetworkDeviceType",),
    "software_id": ("Software",),
}
UNCARRIED_KEYS = frozenset(
    {
        "osfamily_id",
        "osversion_id",
        "oslicence_id",
        "softwarelicence_id",
        "iosversion_id",
        "servicefamily_id",
        "parent_id",
        "deliverymodel_id",
    }
)
FIELD_COLUMNS = frozenset(
    {
        "name",
        "description",
        "status",
        "business_criticity",
        "serialnumber",
        "asset_number",
        "end_of_warranty",
        "redundancy",
        "finalclass",
        "connection_type",
    }
)


class Unreadable(Exception):
    """A file that cannot be read at all (not XML, entities declared, no id column...);
    ``text`` says why, naming the file (a stored message, worded for each reader; ``str()`` in
    English)."""

    def __init__(self, text: Text) -> None:
        super().__init__(english(text))
        self.text = text


@dataclass(frozen=True)
class Source:
    """One file of an export: its name (path inside a directory or zip) and bytes."""

    name: str
    data: bytes

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.name).parent)


@dataclass
class Obj:
    """One iTop object as read: its class, id, plain columns and external keys (by id or by
    name: ``("id", "15")``, ``("name", "Server4")``)."""

    cls: str
    id: str
    columns: dict[str, str]
    keys: dict[str, tuple[str, str]]
    source: str
    folder: str

    @property
    def key(self) -> str:
        return f"{self.cls}::{self.id}"

    @property
    def where(self) -> str:
        return f"{self.source}: {self.cls} {self.id}"

    def value(self, column: str) -> str:
        return self.columns.get(column, "").strip()

    def signature(self) -> tuple[Any, ...]:
        return (sorted(self.columns.items()), sorted(self.keys.items()))


@dataclass
class Reading:
    """What :func:`read` made of an export: the estate, and how each object read was
    accounted for (``ci``, ``relation``, ``folded``, ``not_carried``, ``duplicate``,
    ``skipped``); ``errors`` are files refused as a whole (nothing should be applied then)."""

    estate: Estate
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[Note] = field(default_factory=list)
    by_class: Counter[str] = field(default_factory=Counter)


# --------------------------------------------------------------------------- files


def sources_from_zip(data: bytes, name: str = "export.zip") -> list[Source]:
    """The XML/CSV files of a zip archive (a truncated or corrupt archive is
    :class:`Unreadable`)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = []
            for info in archive.infolist():
                if info.is_dir() or not _wanted(info.filename):
                    continue
                if info.file_size > MAX_FILE_BYTES:
                    raise Unreadable(
                        stored(
                            N_("%(file)s is larger than %(max)s bytes."),
                            file=info.filename, max=MAX_FILE_BYTES,
                        )
                    )  # fmt: skip
                found.append(Source(info.filename, archive.read(info)))
            return found
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise Unreadable(
            stored(
                N_("%(file)s is not a readable zip archive (%(error)s)."),
                file=name,
                error=str(error),
            )
        ) from error


def _wanted(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".xml", ".csv", ".xml.gz", ".csv.gz"))


def _decompressed(source: Source) -> bytes:
    if not source.name.lower().endswith(".gz"):
        return source.data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(source.data)) as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError) as error:
        raise Unreadable(
            stored(
                N_("%(file)s is not a readable gzip file (%(error)s)."),
                file=source.name,
                error=str(error),
            )
        ) from error
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(
            stored(
                N_("%(file)s is larger than %(max)s bytes once decompressed."),
                file=source.name, max=MAX_FILE_BYTES,
            )
        )  # fmt: skip
    return data


def read_xml(data: bytes, source: str, folder: str = ".") -> list[Obj]:
    """The objects of one iTop XML document (``<Set>`` of ``<Class id="…">``)."""
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise Unreadable(
            stored(
                N_(
                    "%(file)s declares XML entities (%(error)s); iTop exports never do, so the "
                    "file is refused rather than expanded."
                ),
                file=source,
                error=type(error).__name__,
            )
        ) from error
    except ParseError as error:
        raise Unreadable(
            stored(
                N_("%(file)s is not well-formed XML (%(error)s)."), file=source, error=str(error)
            )
        ) from error
    if root.tag != "Set":
        raise Unreadable(
            stored(
                N_("%(file)s is not an iTop XML export: its root is <%(root)s>, not <Set>."),
                file=source, root=root.tag,
            )
        )  # fmt: skip
    objects = []
    for element in root:
        ident = (element.get("id") or "").strip()
        columns: dict[str, str] = {}
        keys: dict[str, tuple[str, str]] = {}
        for child in element:
            if len(child):  # blobs (icons, pictures), tag sets: nested, not carried
                continue
            text = (child.text or "").strip()
            if _is_key(child.tag):
                if text not in ("", "0"):
                    keys[child.tag] = ("id", text)
            else:
                columns[child.tag] = text
        objects.append(Obj(str(element.tag), ident, columns, keys, source, folder))
    return objects


def _is_key(column: str) -> bool:
    return column.endswith("_id") and column != "id"


def read_csv(data: bytes, source: str, folder: str = ".") -> list[Obj]:
    """The objects of one iTop CSV export (one class per file: a ``finalclass`` column, or the
    file named after the class, ``Server.csv``). Headers are attribute codes (``org_id``,
    ``org_id->name``) or the English labels of iTop's export (``Organization``)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(
            stored(N_("%(file)s is not UTF-8 text (%(error)s)."), file=source, error=str(error))
        ) from error
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration as error:
        raise Unreadable(stored(N_("%(file)s is empty."), file=source)) from error
    except csv.Error as error:
        raise Unreadable(
            stored(
                N_("%(file)s has an unreadable header (%(error)s)."), file=source, error=str(error)
            )
        ) from error
    columns = [_code(h) for h in header]
    if "id" not in columns:
        raise Unreadable(
            stored(
                N_(
                    "%(file)s has no id column: export it with the object ids (the id is what "
                    "makes a second import a sync)."
                ),
                file=source,
            )
        )
    file_class = _class_of_file(source)
    if "finalclass" not in columns and file_class is None:
        raise Unreadable(
            stored(
                N_(
                    "%(file)s names no iTop class: name the file after the class (Server.csv) "
                    "or export the finalclass column."
                ),
                file=source,
            )
        )
    objects = []
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise Unreadable(
                    stored(
                        N_("%(file)s line %(line)s has %(cells)s cells where the header has "
                           "%(columns)s."),
                        file=source, line=line, cells=len(row), columns=len(columns),
                    )
                )  # fmt: skip
            values = dict(zip(columns, row, strict=True))
            cls = (values.pop("finalclass", "") or "").strip() or file_class or ""
            ident = values.pop("id").strip()
            plain: dict[str, str] = {}
            keys: dict[str, tuple[str, str]] = {}
            for column, value in values.items():
                value = value.strip()
                if column.endswith("->name"):
                    if value:
                        keys[column.removesuffix("->name")] = ("name", value)
                elif _is_key(column):
                    if value not in ("", "0"):
                        keys.setdefault(column, ("id", value))
                elif "->" not in column:
                    plain[column] = value
            objects.append(Obj(cls, ident, plain, keys, f"{source} line {line}", folder))
    except csv.Error as error:
        raise Unreadable(
            stored(
                N_("%(file)s is not well-formed CSV near line %(line)s (%(error)s)."),
                file=source, line=reader.line_num, error=str(error),
            )
        ) from error  # fmt: skip
    return objects


def _code(header: str) -> str:
    text = header.strip()
    if "->" in text or "_" in text or text.islower():
        return text if text != "ID" else "id"
    return m.CSV_LABELS.get(text.lower(), text.lower())


def _known_classes() -> dict[str, str]:
    names = [*m.CI_CLASSES, *m.LINKS, *m.FOLDED, *m.NOT_CARRIED, *m.TICKET_CLASSES]
    return {n.lower(): n for n in names}


def _class_of_file(source: str) -> str | None:
    stem = PurePosixPath(source).name.split(".")
    known = _known_classes()
    for part in reversed(stem[:-1] if len(stem) > 1 else stem):
        for candidate in (part.lower(), part.lower().removesuffix("s")):
            if candidate in known:
                return known[candidate]
    return None


# --------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class Unresolved:
    """An external key that names no object read (``found`` empty) or several (their keys)."""

    column: str
    what: Text  # the classes it may name
    value: str
    found: tuple[str, ...] = ()


# A report line for each unresolved key: (what follows, whether it names several objects).
UNRESOLVED: Mapping[tuple[str, bool], str] = {
    ("left_empty", False): N_(
        "The %(column)s names %(what)s %(value)s, which is not in the files read: left empty."
    ),
    ("left_empty", True): N_(
        "The %(column)s names %(what)s %(value)s, which is ambiguous (%(found)s): left empty."
    ),
    ("no_relation", False): N_(
        "The %(column)s names %(what)s %(value)s, which is not in the files read: no relation."
    ),
    ("no_relation", True): N_(
        "The %(column)s names %(what)s %(value)s, which is ambiguous (%(found)s): no relation."
    ),
    ("no_link", False): N_(
        "The link's %(column)s names %(what)s %(value)s, which is not in the files read: "
        "no relation."
    ),
    ("no_link", True): N_(
        "The link's %(column)s names %(what)s %(value)s, which is ambiguous (%(found)s): "
        "no relation."
    ),
}

# The notice of a typology object folded into the CIs naming it, by the field it becomes.
FOLDED: Mapping[str, str] = {
    "location": N_("Carried as the location of the CIs naming it (%(uses)s), not as a CI."),
    "model": N_("Carried as the model of the CIs naming it (%(uses)s), not as a CI."),
    "device_type": N_("Carried as the device type of the CIs naming it (%(uses)s), not as a CI."),
    "software": N_("Carried as the software of the CIs naming it (%(uses)s), not as a CI."),
}


def _classes(targets: tuple[str, ...]) -> Text:
    """The classes a key may name, as a report line says them (iTop's root class is "CI")."""
    names = [t.replace(ANY_CI, "CI") for t in targets]
    if len(names) == 1:
        return names[0]
    return stored(N_("%(some)s or %(last)s"), some=", ".join(names[:-1]), last=names[-1])


def read(sources: Iterable[Source]) -> Reading:
    """Read every file (a file that cannot be read is an error line, and its objects are
    missing: the caller refuses the import) and map the objects onto an estate."""
    objects: list[Obj] = []
    errors: list[Note] = []
    for source in sorted(sources, key=lambda s: s.name):
        try:
            data = _decompressed(source)
            lower = source.name.lower().removesuffix(".gz")
            if lower.endswith(".csv"):
                objects.extend(read_csv(data, source.name, source.folder))
            else:
                objects.extend(read_xml(data, source.name, source.folder))
        except Unreadable as error:
            errors.append(Note("error", source.name, "", error.text))
    reading = _Mapper(objects).run()
    reading.errors = errors
    return reading


class _Mapper:
    def __init__(self, objects: list[Obj]) -> None:
        self.estate = Estate(m.SYSTEM, rows_read=len(objects))
        self.outcomes: Counter[str] = Counter()
        self.by_class: Counter[str] = Counter(o.cls for o in objects)
        self.objects: list[Obj] = []
        self.by_key: dict[tuple[str, str], Obj] = {}
        self._dedupe(objects)
        # id -> objects, per class (for keys naming one class) and for any CI
        self.ids: dict[str, dict[str, list[Obj]]] = defaultdict(lambda: defaultdict(list))
        self.names: dict[str, dict[str, list[Obj]]] = defaultdict(lambda: defaultdict(list))
        for o in self.objects:
            for bucket in (o.cls, ANY_CI) if o.cls in m.CI_CLASSES else (o.cls,):
                self.ids[bucket][o.id].append(o)
                if o.value("name"):
                    self.names[bucket][o.value("name").lower()].append(o)
        self.folded_uses: Counter[str] = Counter()
        self.uncarried_columns: dict[tuple[str, str], int] = Counter()
        self.hosts: dict[str, str] = {}  # CI key -> the key of what it runs on
        self.link_keys: dict[str, str] = {}  # relation key -> where its link was read

    def note(self, kind: str, where: str, column: str, message: Text) -> None:
        self.estate.notes.append(Note(kind, where, column, message))

    def _dedupe(self, objects: list[Obj]) -> None:
        for o in objects:
            if not o.cls or not o.id:
                self.outcomes["skipped"] += 1
                self.note(
                    "skipped", o.where, "id", stored(N_("An object without a class or an id."))
                )
                continue
            first = self.by_key.get((o.cls, o.id))
            if o.cls in m.LINKS:  # a link is its two ends: twins are found by relation key
                self.objects.append(o)
            elif first is None:
                self.by_key[(o.cls, o.id)] = o
                self.objects.append(o)
            elif first.signature() == o.signature():
                self.outcomes["duplicate"] += 1
                self.note(
                    "notice", o.where, "",
                    stored(N_("The same object as %(first)s; read once."), first=first.where),
                )  # fmt: skip
            else:
                self.outcomes["skipped"] += 1
                differ = sorted(
                    c
                    for c in {*first.columns, *o.columns, *first.keys, *o.keys}
                    if first.columns.get(c, first.keys.get(c)) != o.columns.get(c, o.keys.get(c))
                )
                self.note(
                    "skipped",
                    o.where,
                    ", ".join(differ)[:200],
                    stored(
                        N_(
                            "Same class and id as %(first)s with other values (%(columns)s): "
                            "the first one read is kept."
                        ),
                        first=first.where,
                        columns=", ".join(differ),
                    ),
                )

    # -- resolving external keys

    def resolve(self, o: Obj, column: str, targets: tuple[str, ...]) -> Obj | None | Unresolved:
        """The object a key names; ``None`` when the key is empty; what it names when that
        cannot be resolved (missing, or ambiguous)."""
        ref = o.keys.get(column)
        if ref is None:
            return None
        how, value = ref
        table = self.ids if how == "id" else self.names
        wanted = value if how == "id" else value.lower()
        found = [c for t in targets for c in table[t].get(wanted, [])]
        found = list({id(c): c for c in found}.values())
        if len(found) > 1:
            near = [c for c in found if c.folder == o.folder]
            found = near if len(near) == 1 else found
        if len(found) == 1:
            return found[0]
        return Unresolved(column, _classes(targets), value, tuple(c.key for c in found))

    def unresolved(self, o: Obj, missing: Unresolved, outcome: str, kind: str = "skipped") -> None:
        """A report line for a key that names nothing, or several objects: ``outcome`` is
        ``left_empty`` (a field), ``no_relation`` or ``no_link`` (a link object's end)."""
        message = UNRESOLVED[(outcome, bool(missing.found))]
        self.note(
            kind, o.where, missing.column,
            stored(
                message, column=missing.column, what=missing.what, value=missing.value,
                found=", ".join(missing.found),
            ),
        )  # fmt: skip

    # -- the objects

    def run(self) -> Reading:
        cis: dict[str, tuple[Obj, dict[str, Any], dict[str, Any]]] = {}
        for o in self.objects:
            if o.cls in m.CI_CLASSES:
                cis[o.key] = (o, *self._ci_fields(o))
                self.outcomes["ci"] += 1
            elif o.cls in m.LINKS:
                self._link(o)
            elif o.cls in m.FOLDED:
                pass  # counted below, once the CIs naming them are known
            else:
                self.outcomes["not_carried"] += 1
                reason = m.not_carried_reason(o.cls)
                self.note("not_carried", o.where, "", stored(N_("%(reason)s."), reason=reason))
        for o in self.objects:
            if o.cls in m.CI_CLASSES:
                self._key_relations(o)
        for o in self.objects:
            if o.cls in m.FOLDED:
                self.outcomes["folded"] += 1
                uses = self.folded_uses[o.key]
                self.note(
                    "notice", o.where, m.FOLDED[o.cls], stored(FOLDED[m.FOLDED[o.cls]], uses=uses)
                )
        for (cls, column), n in sorted(self.uncarried_columns.items()):
            self.note(
                "not_carried",
                cls,
                column,
                stored(
                    N_(
                        "%(count)s value(s) of %(column)s not carried: this CMDB has no field "
                        "for it."
                    ),
                    count=n,
                    column=column,
                ),
            )
        names = self._unique_names(cis)
        for key, (o, fields, attributes) in cis.items():
            self.estate.cis.append(
                EstateCI(
                    key=key,
                    name=names[key],
                    ci_class=m.CI_CLASSES[o.cls].ci_class,
                    fields=fields,
                    attributes=attributes,
                    where=o.where,
                )
            )
        self.estate.classes = _classes_used(self.estate.cis)
        return Reading(self.estate, self.outcomes, by_class=self.by_class)

    def _ci_fields(self, o: Obj) -> tuple[dict[str, Any], dict[str, Any]]:
        fields: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        status = o.value("status").lower()
        if status in m.STATUSES:
            fields["status"] = m.STATUSES[status]
        else:
            fields["status"] = "in_service"
            self.note(
                "notice", o.where, "status",
                stored(N_("Unknown status %(status)r: in service."), status=status),
            )  # fmt: skip
        if o.value("description"):
            fields["description"] = o.value("description")
        criticity = o.value("business_criticity").lower()
        if criticity in m.CRITICALITY:
            fields["criticality"] = m.CRITICALITY[criticity]
        elif criticity:
            self.note(
                "notice", o.where, "business_criticity",
                stored(N_("Unknown %(value)r: left."), value=criticity),
            )  # fmt: skip
        hardware = m.CI_CLASSES[o.cls].hardware
        if hardware:
            for column, target in (
                ("serialnumber", "serial_number"),
                ("asset_number", "asset_tag"),
            ):
                if o.value(column):
                    fields[target] = o.value(column)
            if o.value("end_of_warranty"):
                day = m.parse_date(o.value("end_of_warranty"))
                if day is None:
                    self.note(
                        "not_carried",
                        o.where,
                        "end_of_warranty",
                        stored(
                            N_(
                                "The date %(date)r is not in iTop's format YYYY-MM-DD: the "
                                "warranty end is left empty."
                            ),
                            date=o.value("end_of_warranty"),
                        ),
                    )
                else:
                    fields["warranty_end"] = day
        if o.cls == "Farm":
            rule = m.redundancy(o.value("redundancy"))
            if rule is None:
                self.note(
                    "notice",
                    o.where,
                    "redundancy",
                    stored(
                        N_("Unreadable redundancy %(value)r: iTop's default, at least %(min)s up."),
                        value=o.value("redundancy"),
                        min=m.FARM_DEFAULT_MIN_UP,
                    ),
                )
                rule = (m.FARM_DEFAULT_MIN_UP, None)
            fields["min_up"], fields["min_up_percent"] = rule
        for column, attribute in m.ATTRIBUTES.items():
            if o.value(column):
                attributes[attribute] = o.value(column)
        for column, targets in TYPOLOGY_KEYS.items():
            named = self.resolve(o, column, targets)
            if isinstance(named, Unresolved):
                self.unresolved(o, named, "left_empty", kind="notice")
            elif named is not None:
                self.folded_uses[named.key] += 1
                self._fold(o, column, named, fields, attributes)
        for column in o.keys:
            if column in UNCARRIED_KEYS:
                self.uncarried_columns[(o.cls, column)] += 1
        for column, value in o.columns.items():
            if value and column not in FIELD_COLUMNS and column not in m.ATTRIBUTES:
                self.uncarried_columns[(o.cls, column)] += 1
        return fields, attributes

    def _fold(
        self, o: Obj, column: str, target: Obj, fields: dict[str, Any], attributes: dict[str, Any]
    ) -> None:
        name = target.value("name")
        if column == "location_id":
            fields["location"] = name
        elif column == "model_id" and m.CI_CLASSES[o.cls].hardware:
            brand = self.resolve(o, "brand_id", ("Brand",))
            prefix = f"{brand.value('name')} " if isinstance(brand, Obj) else ""
            fields["model"] = f"{prefix}{name}"
        elif column == "networkdevicetype_id":
            attributes["device_type"] = name
        elif column == "software_id":
            version = target.value("version")
            attributes["software"] = f"{name} {version}".strip()

    def _relation(self, source: str, type_: str, target: str, where: str, extra: str = "") -> None:
        key = f"{type_}:{source}>{target}{extra}"
        self.estate.relations.append(EstateRelation(key, source, type_, target, where))

    def _link(self, o: Obj) -> None:
        link = m.LINKS[o.cls]
        ends = []
        for column, targets in (
            (link.source, link.source_classes),
            (link.target, link.target_classes),
        ):
            end = self.resolve(o, column, targets)
            if not isinstance(end, Obj):
                self.outcomes["skipped"] += 1
                if end is None:
                    empty = N_("The link's %(column)s is empty: no relation.")
                    self.note("skipped", o.where, column, stored(empty, column=column))
                else:
                    self.unresolved(o, end, "no_link")
                return
            if end.cls not in m.CI_CLASSES:
                self.outcomes["skipped"] += 1
                self.note(
                    "skipped", o.where, column,
                    stored(N_("%(key)s is not carried as a CI."), key=end.key),
                )  # fmt: skip
                return
            ends.append(end.key)
        source, target = ends
        if o.value("connection_type").lower() == "downlink":
            source, target = target, source
        ports = "".join(f"#{o.value(p)}" for p in link.ports if o.value(p))
        key = f"{link.type}:{source}>{target}{ports}"
        if key in self.link_keys:
            self.outcomes["duplicate"] += 1
            self.note(
                "notice", o.where, "",
                stored(N_("The same link as %(first)s; read once."), first=self.link_keys[key]),
            )  # fmt: skip
            return
        self.link_keys[key] = o.where
        self._relation(source, link.type, target, o.where, ports)
        self.outcomes["relation"] += 1

    def _key_relations(self, o: Obj) -> None:
        for rule in m.KEY_RELATIONS.get(o.cls, ()):
            target = self.resolve(o, rule.column, rule.targets)
            if target is None:
                continue
            if isinstance(target, Unresolved):
                self.unresolved(o, target, "no_relation")
                continue
            if rule.type == "runs_on" and o.key not in self.hosts:
                self.hosts[o.key] = target.key
            ends = (target.key, o.key) if rule.reverse else (o.key, target.key)
            self._relation(ends[0], rule.type, ends[1], o.where)
        feeds = [
            (column, self.resolve(o, column, m.POWER_TARGETS))
            for column in m.POWER_FEEDS
            if column in o.keys
        ]
        found = [(c, t) for c, t in feeds if isinstance(t, Obj)]
        for _, target in feeds:
            if isinstance(target, Unresolved):
                self.unresolved(o, target, "no_relation")
        if len(found) == 1:
            self._relation(o.key, "depends_on", found[0][1].key, o.where)
        elif len(found) == 2:
            self.note(
                "not_carried",
                o.where,
                "powerA_id, powerB_id",
                stored(
                    N_(
                        "Fed by %(first)s and %(second)s: a pair of redundant feeds is not "
                        "carried as impact (losing one of them does not stop the device)."
                    ),
                    first=found[0][1].key,
                    second=found[1][1].key,
                ),
            )

    # -- names

    def _unique_names(self, cis: Mapping[str, tuple[Obj, Any, Any]]) -> dict[str, str]:
        names: dict[str, str] = {}
        groups: dict[tuple[str, str], list[Obj]] = defaultdict(list)
        for key, (o, _, _) in cis.items():
            name = o.value("name")[:180]
            if not name:
                name = f"{o.cls} {o.id}"
                self.note(
                    "notice", o.where, "name", stored(N_("No name: named %(name)r."), name=name)
                )
            names[key] = name
            groups[(m.CI_CLASSES[o.cls].ci_class, name.lower())].append(o)
        for (_, _), same in sorted(groups.items()):
            if len(same) < 2:
                continue
            for qualify in (self._host_of, self._org_of, self._location_of, _itop_id):
                qualifiers = [qualify(o) for o in same]
                if all(qualifiers) and len({q.lower() for q in qualifiers}) == len(same):
                    break
            for o, qualifier in zip(same, qualifiers, strict=True):
                new = f"{names[o.key]} ({qualifier})"
                self.note(
                    "notice",
                    o.where,
                    "name",
                    stored(
                        N_(
                            "%(count)s CIs of one class are named %(name)r: this one is named "
                            "%(new)r."
                        ),
                        count=len(same),
                        name=names[o.key],
                        new=new,
                    ),
                )
                names[o.key] = new
        return names

    def _host_of(self, o: Obj) -> str:
        host = self.hosts.get(o.key)
        target = self.by_key.get(tuple(host.split("::", 1))) if host else None  # type: ignore[arg-type]
        return target.value("name") if target else ""

    def _org_of(self, o: Obj) -> str:
        org = self.resolve(o, "org_id", ("Organization",))
        return org.value("name") if isinstance(org, Obj) else ""

    def _location_of(self, o: Obj) -> str:
        location = self.resolve(o, "location_id", ("Location",))
        return location.value("name") if isinstance(location, Obj) else ""


def _classes_used(cis: Iterable[EstateCI]) -> list[EstateClass]:
    """The classes the CIs need (parents first), each with the text attributes its CIs fill."""
    filled: dict[str, set[str]] = defaultdict(set)
    for ci in cis:
        filled[ci.ci_class].update(ci.attributes)
    return [
        replace(c, attributes=tuple((name, "string") for name in sorted(filled[c.name])))
        for c in m.estate_classes()
        if c.name in filled
    ]


def _itop_id(o: Obj) -> str:
    return f"iTop {o.cls} {o.id}"
