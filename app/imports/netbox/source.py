"""Read what NetBox gives out into one shape (pure: no Flask, no database).

Two sources are understood:

* the **dump** (``manage.py dumpdata``, as NetBox's demo data ships it): a JSON list of
  ``{"model", "pk", "fields"}`` objects, foreign keys as ids, optionally gzipped;
* the **REST API**: what ``GET /api/dcim/devices/`` and the other endpoints answer
  (``{"results": [...]}``; nested objects for foreign keys, ``{"value", "label"}`` for
  choices), as one file per endpoint in a folder or a zip, or one JSON object mapping endpoints
  (``"dcim/devices"``) to their answers. An object's model is read from its ``url``
  (``.../api/dcim/devices/12/``), else from the endpoint (the key, or the file's name:
  ``dcim_devices.json``, ``devices.json``).

Both become :class:`Objects`: every object read (``model``, ``pk``, ``fields`` in the dump's
shape) in source order, so the reader can account for each one. Anything unreadable raises
:class:`SourceError` with a message for the person who exported it.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_
from app.i18n.stored import english, stored
from app.imports.netbox.mapping import ENDPOINTS

MAX_BYTES = 512 * 1024 * 1024  # unpacked, all files together
URL_MODEL = re.compile(r"/api/([a-z-]+)/([a-z0-9-]+)/\d+/?$")


class SourceError(ValueError):
    """The source cannot be read at all (not JSON, a truncated archive, an unknown shape);
    ``text`` says why (a stored message, worded for each reader; ``str()`` in English)."""

    def __init__(self, text: str | dict[str, Any]) -> None:
        super().__init__(english(text))
        self.text = text


@dataclass(frozen=True)
class Item:
    model: str
    pk: int | None
    fields: Mapping[str, Any]
    where: str  # "dcim.device 12", or "<file> item 3" when it has no id


@dataclass
class Objects:
    """Every object read, in order, and the same by model and id for lookups."""

    items: list[Item] = field(default_factory=list)
    by_model: dict[str, dict[int, Mapping[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    shape: str = "dump"  # or "rest"

    def add(self, item: Item) -> None:
        """Keep ``item``; the first of two objects with one model and id is the one looked up
        (the reader reports the second)."""
        self.items.append(item)
        if item.pk is not None:
            self.by_model[item.model].setdefault(item.pk, item.fields)

    def get(self, model: str, pk: Any) -> Mapping[str, Any] | None:
        if not isinstance(pk, int):
            return None
        return self.by_model.get(model, {}).get(pk)


def read(name: str, data: bytes) -> Objects:
    """The objects of one uploaded or named file: JSON, gzipped JSON, or a zip of REST
    answers. :raise SourceError: why it cannot be read."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(name, data)
    if data[:4] == b"PK\x03\x04":
        return read_files(_unzip(name, data))
    return read_files([(name, data)])


def read_files(files: Iterable[tuple[str, bytes]]) -> Objects:
    """The objects of several files (a folder or a zip of REST answers, or one dump)."""
    objects = Objects()
    for name, data in files:
        if data[:2] == b"\x1f\x8b":
            data = _gunzip(name, data)
        try:
            parsed = json.loads(data)
        except (UnicodeDecodeError, ValueError) as error:
            raise SourceError(
                stored(N_("%(name)s is not JSON: %(error)s."), name=name, error=str(error))
            ) from None
        _add(objects, name, parsed)
    if not objects.items:
        raise SourceError(stored(N_("The source holds no NetBox objects.")))
    return objects


def _gunzip(name: str, data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as raw:
            out = raw.read(MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise SourceError(
            stored(
                N_("%(name)s is not a complete gzip file (%(error)s)."), name=name, error=str(error)
            )
        ) from None
    if len(out) > MAX_BYTES:
        raise _too_big(name)
    return out


def _unzip(name: str, data: bytes) -> list[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > MAX_BYTES:
                raise _too_big(name)
            return [
                (m.filename, archive.read(m))
                for m in members
                if m.filename.lower().endswith((".json", ".json.gz"))
            ]
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise SourceError(
            stored(
                N_("%(name)s is not a complete zip file (%(error)s)."), name=name, error=str(error)
            )
        ) from None


def _too_big(name: str) -> SourceError:
    return SourceError(
        stored(N_("%(name)s unpacks to more than %(mb)s MB."), name=name, mb=MAX_BYTES >> 20)
    )


def _add(objects: Objects, name: str, parsed: Any) -> None:
    if isinstance(parsed, list) and parsed and all(_is_dumped(o) for o in parsed):
        for o in parsed:
            pk = o.get("pk") if isinstance(o.get("pk"), int) else None
            where = f"{o['model']} {pk}" if pk is not None else f"{o['model']} (no id)"
            objects.add(Item(o["model"], pk, o["fields"], where))
        return
    objects.shape = "rest"
    if isinstance(parsed, dict) and "results" not in parsed:
        for endpoint, answer in parsed.items():
            _add_rest(objects, name, str(endpoint), answer)
        return
    _add_rest(objects, name, _endpoint_of_file(name), parsed)


def _is_dumped(o: Any) -> bool:
    return isinstance(o, dict) and isinstance(o.get("model"), str) and "fields" in o


def _endpoint_of_file(name: str) -> str:
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0].lower().replace("_", "/")
    if stem in ENDPOINTS:
        return stem
    for endpoint in ENDPOINTS:
        if endpoint.endswith(f"/{stem}") or endpoint.replace("/", "-").endswith(stem):
            return endpoint
    return stem


def _add_rest(objects: Objects, name: str, endpoint: str, answer: Any) -> None:
    results = answer.get("results") if isinstance(answer, dict) else answer
    if not isinstance(results, list):
        raise SourceError(
            stored(
                N_(
                    "%(name)s: %(endpoint)s is neither a NetBox dump (a list of model/pk/fields "
                    'objects) nor an API answer ({"results": [...]}).'
                ),
                name=name,
                endpoint=endpoint or stored(N_("the file")),
            )
        )
    endpoint = endpoint.strip("/").removeprefix("api/")
    for n, raw in enumerate(results, 1):
        if not isinstance(raw, dict):
            objects.add(Item(endpoint or "unknown", None, {}, f"{name} item {n}"))
            continue
        model = _model_of(raw, endpoint)
        pk = raw.get("id") if isinstance(raw.get("id"), int) else None
        where = f"{model} {pk}" if pk is not None else f"{name} item {n}"
        objects.add(Item(model, pk, flatten(model, raw), where))


def _model_of(raw: Mapping[str, Any], endpoint: str) -> str:
    url = raw.get("url")
    if isinstance(url, str) and (found := URL_MODEL.search(url)):
        endpoint = f"{found.group(1)}/{found.group(2)}"
    return ENDPOINTS.get(endpoint, endpoint.replace("/", ".") or "unknown")


def flatten(model: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """An API object in the dump's shape: nested objects as their id (the object kept under
    ``_nested``), choices as their value, cable ends as ``_ends``."""
    fields: dict[str, Any] = {}
    nested: dict[str, Mapping[str, Any]] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and "id" in value:
            fields[key] = value["id"]
            nested[key] = value
        elif isinstance(value, dict) and "value" in value and "label" in value:
            fields[key] = value["value"]
        else:
            fields[key] = value
    if "device_role" in fields and "role" not in fields:  # NetBox before 4.0
        fields["role"] = fields["device_role"]
        if "device_role" in nested:
            nested["role"] = nested["device_role"]
    fields["_nested"] = nested
    if model == "dcim.cable":
        fields["_ends"] = {
            "A": _rest_ends(raw.get("a_terminations"), raw, "a"),
            "B": _rest_ends(raw.get("b_terminations"), raw, "b"),
        }
    return fields


def _rest_ends(terminations: Any, raw: Mapping[str, Any], side: str) -> list[dict[str, Any]]:
    """A cable's ends on one side as ``{"model", "pk", "device", "circuit"}``."""
    if not isinstance(terminations, list):  # NetBox before 3.3: one termination a side
        kind, pk = raw.get(f"termination_{side}_type"), raw.get(f"termination_{side}_id")
        old = raw.get(f"termination_{side}")
        terminations = [{"object_type": kind, "object_id": pk, "object": old}] if kind else []
    ends = []
    for t in terminations:
        if not isinstance(t, dict):
            continue
        nested = t.get("object")
        obj: dict[str, Any] = nested if isinstance(nested, dict) else {}
        ends.append(
            {
                "model": str(t.get("object_type") or ""),
                "pk": t.get("object_id") if isinstance(t.get("object_id"), int) else None,
                "device": _id(obj.get("device")),
                "circuit": _id(obj.get("circuit")),
                "name": obj.get("name") or obj.get("display") or "",
            }
        )
    return ends


def _id(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, int) else None
