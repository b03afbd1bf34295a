"""Alert payloads read into normalized alerts (pure: no Flask, no SQLAlchemy).

Two formats are read (docs/alerts.md documents both):

* **Prometheus Alertmanager**'s webhook payload, version 4: ``receiver`` names the source,
  each of ``alerts[]`` has ``status``, ``labels``, ``annotations``, ``startsAt``, ``endsAt``
  and ``fingerprint``. Fields Alertmanager adds in later releases are ignored.
* The **generic JSON** of Deskgraph: ``{"source": "...", "alerts": [{"fingerprint",
  "status", "severity", "summary", "labels", "ci", "starts_at", "ends_at"}]}``. Only
  ``status`` and ``summary`` are required; an unknown field is refused, so a typo never
  silently drops data.

:func:`parse_payload` raises :class:`PayloadError` with every problem by field (``alerts[3].
status``), so the sender learns all of them at once; nothing is half-read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_ALERTS = 1000
"""Most alerts in one payload (Alertmanager's ``max_alerts`` should be at most this)."""
MAX_LABELS = 64
MAX_FINGERPRINT = 128
MAX_SOURCE = 80
MAX_SUMMARY = 500
MAX_LABEL_NAME = 100
MAX_LABEL_VALUE = 500

SEVERITIES = ("critical", "major", "warning", "minor", "info")
"""Normalized severities, worst first."""
SYNONYMS = {
    "page": "critical",
    "disaster": "critical",
    "fatal": "critical",
    "error": "major",
    "high": "major",
    "average": "warning",
    "warn": "warning",
    "medium": "warning",
    "low": "minor",
    "notice": "info",
    "information": "info",
    "none": "info",
}
URGENCY = {"critical": 1, "major": 2, "warning": 2, "minor": 3, "info": 3}
"""The incident urgency an alert's severity suggests (1 high, 3 low)."""
STATUSES = ("firing", "resolved")
GENERIC_FIELDS = frozenset(
    {"fingerprint", "status", "severity", "summary", "labels", "ci", "starts_at", "ends_at"}
)
ALERTMANAGER_ZERO_TIME = "0001-01-01T00:00:00Z"
DEFAULT_ALERTMANAGER_SOURCE = "alertmanager"


class PayloadError(ValueError):
    """The payload cannot be read; ``errors`` maps each faulty field to why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class NormalizedAlert:
    """One alert, whatever format it came in."""

    fingerprint: str
    status: str  # "firing" | "resolved"
    severity: str  # one of SEVERITIES
    summary: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ci_hint: str | None = None  # a CI named by the sender (generic "ci", label "ci")
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class Payload:
    source: str
    alerts: tuple[NormalizedAlert, ...]


def parse_payload(document: Any, default_source: str | None = None) -> Payload:
    """Read an Alertmanager (version 4) or generic payload.

    ``default_source`` names the source when the payload does not (an Alertmanager payload
    without ``receiver``).

    :raise PayloadError: not an object, no alerts, too many, or any faulty alert.
    """
    if not isinstance(document, dict):
        raise PayloadError({"body": "Send a JSON object with an alerts list."})
    alerts = document.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise PayloadError({"alerts": "Send a non-empty list of alerts."})
    if len(alerts) > MAX_ALERTS:
        raise PayloadError({"alerts": f"At most {MAX_ALERTS} alerts per request."})
    errors: dict[str, str] = {}
    if _is_alertmanager(document):
        source = document.get("receiver") or default_source or DEFAULT_ALERTMANAGER_SOURCE
        read = [_alertmanager_alert(a, f"alerts[{i}]", errors) for i, a in enumerate(alerts)]
    else:
        unknown = sorted(set(document) - {"source", "alerts"})
        if unknown:
            errors["body"] = f"Unknown fields: {', '.join(unknown)}."
        source = document.get("source") or default_source
        read = [_generic_alert(a, f"alerts[{i}]", errors) for i, a in enumerate(alerts)]
    source = _source_name(source, errors)
    if errors:
        raise PayloadError(errors)
    return Payload(source, tuple(a for a in read if a is not None))


def _is_alertmanager(document: Mapping[str, Any]) -> bool:
    return "version" in document or "groupKey" in document or "receiver" in document


def _source_name(value: Any, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.setdefault("source", "Name the source (a non-empty text).")
        return ""
    if len(value.strip()) > MAX_SOURCE:
        errors.setdefault("source", f"At most {MAX_SOURCE} characters.")
    return value.strip()[:MAX_SOURCE]


def _alertmanager_alert(raw: Any, where: str, errors: dict[str, str]) -> NormalizedAlert | None:
    if not isinstance(raw, dict):
        errors[where] = "Each alert is an object."
        return None
    labels = _labels(raw.get("labels", {}), f"{where}.labels", errors)
    annotations = _labels(raw.get("annotations", {}), f"{where}.annotations", errors)
    status = _status(raw.get("status"), f"{where}.status", errors)
    summary = (
        annotations.get("summary")
        or annotations.get("description")
        or annotations.get("message")
        or labels.get("alertname")
        or "Alert"
    )
    severity = _severity(labels.get("severity"), f"{where}.labels.severity", errors, strict=False)
    fingerprint = raw.get("fingerprint") or fingerprint_of(labels)
    return NormalizedAlert(
        fingerprint=_fingerprint(fingerprint, f"{where}.fingerprint", errors),
        status=status,
        severity=severity,
        summary=summary[:MAX_SUMMARY],
        labels=labels,
        ci_hint=labels.get("ci"),
        starts_at=_time(raw.get("startsAt"), f"{where}.startsAt", errors),
        ends_at=_time(raw.get("endsAt"), f"{where}.endsAt", errors),
    )


def _generic_alert(raw: Any, where: str, errors: dict[str, str]) -> NormalizedAlert | None:
    if not isinstance(raw, dict):
        errors[where] = "Each alert is an object."
        return None
    unknown = sorted(set(raw) - GENERIC_FIELDS)
    if unknown:
        errors[where] = f"Unknown fields: {', '.join(unknown)}."
    labels = _labels(raw.get("labels", {}), f"{where}.labels", errors)
    summary = raw.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors[f"{where}.summary"] = "Say what is wrong (a non-empty text)."
        summary = ""
    ci = raw.get("ci")
    if ci is not None and (not isinstance(ci, str) or len(ci) > 200):
        errors[f"{where}.ci"] = "A CI name, host name or IP address (text, at most 200)."
        ci = None
    status = _status(raw.get("status"), f"{where}.status", errors)
    severity = _severity(raw.get("severity"), f"{where}.severity", errors, strict=True)
    fingerprint = raw.get("fingerprint")
    if fingerprint is None:
        fingerprint = fingerprint_of({**labels, "__ci": ci or "", "__summary": summary})
    return NormalizedAlert(
        fingerprint=_fingerprint(fingerprint, f"{where}.fingerprint", errors),
        status=status,
        severity=severity,
        summary=summary.strip()[:MAX_SUMMARY],
        labels=labels,
        ci_hint=(ci or labels.get("ci") or None),
        starts_at=_time(raw.get("starts_at"), f"{where}.starts_at", errors),
        ends_at=_time(raw.get("ends_at"), f"{where}.ends_at", errors),
    )


def fingerprint_of(labels: Mapping[str, str]) -> str:
    """A stable fingerprint of a label set (for senders that give none)."""
    text = json.dumps(dict(sorted(labels.items())), separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _fingerprint(value: Any, where: str, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FINGERPRINT:
        errors[where] = f"A non-empty text of at most {MAX_FINGERPRINT} characters."
        return ""
    return value.strip()


def _status(value: Any, where: str, errors: dict[str, str]) -> str:
    if value not in STATUSES:
        errors[where] = "Either firing or resolved."
        return "firing"
    return str(value)


def _severity(value: Any, where: str, errors: dict[str, str], *, strict: bool) -> str:
    """A normalized severity; Alertmanager's free-form label falls back to warning."""
    if value is None or value == "":
        return "warning"
    text = str(value).strip().lower() if isinstance(value, str) else ""
    text = SYNONYMS.get(text, text)
    if text in SEVERITIES:
        return text
    if strict:
        errors[where] = f"One of {', '.join(SEVERITIES)}."
    return "warning"


def _labels(value: Any, where: str, errors: dict[str, str]) -> dict[str, str]:
    if not isinstance(value, dict):
        errors[where] = "An object of texts."
        return {}
    if len(value) > MAX_LABELS:
        errors[where] = f"At most {MAX_LABELS} labels."
        return {}
    labels: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool) or len(key) > MAX_LABEL_NAME:
            errors[where] = f"Label {str(key)[:40]!r}: a name and a text value."
            continue
        labels[key] = str(item)[:MAX_LABEL_VALUE]
    return labels


def _time(value: Any, where: str, errors: dict[str, str]) -> datetime | None:
    """An ISO 8601 time with its offset, in UTC; Alertmanager's zero time means none."""
    if value in (None, "", ALERTMANAGER_ZERO_TIME):
        return None
    if not isinstance(value, str):
        errors[where] = "An ISO 8601 time with an offset."
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors[where] = "An ISO 8601 time with an offset (2026-12-06T13:00:00Z)."
        return None
    if parsed.tzinfo is None:
        errors[where] = "Give the time's offset (Z for UTC)."
        return None
    if parsed.year < 1970:
        return None
    return parsed.astimezone(UTC)
