"""An estate read from another tool, as plain data (no Flask, no database).

A reader (NetBox, iTop) maps its source onto CIs and relations of this CMDB's vocabulary and
lists what it does not carry; the sync compares that with what earlier runs made (by ``key``,
kept as an external reference) and creates, updates or retires CIs and relations, or, in a
dry run, only says what it would do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Text = str | Mapping[str, Any]  # English, or a stored message (app.i18n.stored)


@dataclass(frozen=True)
class EstateClass:
    """A CI class the estate needs: created under ``parent`` (a class name) when missing."""

    name: str
    label: str
    parent: str | None = None
    is_hardware: bool = False
    attributes: tuple[tuple[str, str], ...] = ()  # (name, type) of class attributes it fills


@dataclass(frozen=True)
class EstateCI:
    """One CI: ``key`` is the source's id, unique within the estate's system (``dcim.device:12``,
    ``Server::5``); ``name`` is already made unique and non-empty by the reader (its notice
    says how); ``fields`` are the CI's own columns (status, environment, location, serial_number,
    model, asset_tag, description...), ``attributes`` its class attributes by name."""

    key: str
    name: str
    ci_class: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    where: str = ""


@dataclass(frozen=True)
class EstateRelation:
    """One relation, read ``source <type> target`` (both CI keys); ``key`` is unique within the
    system, so two parallel cables are two relations, not one."""

    key: str
    source: str
    type: str
    target: str
    where: str = ""


@dataclass(frozen=True)
class Note:
    """A report line: ``kind`` is ``not_carried``, ``skipped`` or ``notice``; ``message`` is a
    stored message (:func:`app.i18n.stored.stored`: worded in each reader's language when the
    run's report is read; :func:`app.i18n.stored.english` for logs and tests)."""

    kind: str
    where: str
    column: str
    message: Text


@dataclass
class Estate:
    system: str  # "netbox", "itop"
    classes: list[EstateClass] = field(default_factory=list)
    cis: list[EstateCI] = field(default_factory=list)
    relations: list[EstateRelation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    rows_read: int = 0  # source objects read, every one accounted for by a CI, relation or note
