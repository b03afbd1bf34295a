"""Configuration: the only module that reads the environment.

Every setting comes from an environment variable (or a ``.env`` file in the working directory,
which never overrides a variable that is already set) and has a documented default; the table
in README.md lists them. ``load_config`` turns that environment into the mapping that
``create_app`` hands to Flask, and refuses to start a production instance on unsafe settings.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

ENVIRONMENTS = ("development", "production", "testing")
ATTACHMENT_STORES = ("database", "directory")
MIN_SECRET_KEY_LENGTH = 32
# What a production key must at least carry, estimated from its own characters. A 32-character
# hex key from ``secrets.token_hex(16)`` scores about 115 bits, ``token_urlsafe(48)`` about 340;
# in a million hex keys none scored under 88 bits or used fewer than 8 different characters
# (about one in 10,000 uses only 9, which an older limit of 10 refused).
MIN_SECRET_KEY_BITS = 84
MIN_SECRET_KEY_DISTINCT = 6
WEAK_SECRET_KEYS = {"secret", "changeme", "change-me", "dev", "development", "password", "test"}
SECRET_KEY_FILE = "secret_key"


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names the variable and what it expects."""


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the process environment, completed by a ``.env`` file in the working directory."""
    if environ is not None:
        return dict(environ)
    merged = {k: v for k, v in dotenv_values(Path.cwd() / ".env").items() if v is not None}
    merged.update(os.environ)
    return merged


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when unset)."""
    value = env.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate limit such as ``600 per minute`` or ``100/minute;5000/day`` (Flask-Limiter's)."""
    from limits import parse_many

    value = env.get(name, "").strip() or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name} must be a rate such as '600 per minute', got {value!r}"
        ) from None
    return value


def normalise_database_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3 whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` cannot be a production secret key, or ``None`` when it looks random.

    Length alone is no proof: 40 times "a" is long. The key must also use enough different
    characters, carry enough estimated entropy (its length times the Shannon entropy of its
    character frequencies), and be neither a repeated pattern, a long run of one character,
    nor mostly an alphabet or digit sequence.
    """
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"{len(key)} characters"
    if key.lower() in WEAK_SECRET_KEYS:
        return "a well-known value"
    counts = Counter(key)
    if len(counts) < MIN_SECRET_KEY_DISTINCT:
        return f"only {len(counts)} different characters"
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    if per_char * len(key) < MIN_SECRET_KEY_BITS:
        return f"about {per_char * len(key):.0f} bits of entropy"
    if any(key == (key[:p] * (len(key) // p + 1))[: len(key)] for p in range(1, len(key) // 2 + 1)):
        return "a repeated pattern"
    if re.search(r"(.)\1{7}", key):
        return "a long run of one character"
    steps = sum(abs(ord(b) - ord(a)) == 1 for a, b in zip(key, key[1:], strict=False))
    if steps * 2 >= len(key) - 1:
        return "mostly a sequence of consecutive characters"
    return None


def _secret_key(env: Mapping[str, str], instance_path: Path, environment: str) -> str:
    key = env.get("SECRET_KEY", "").strip()
    if environment == "production":
        if not key:
            raise ConfigError(
                "SECRET_KEY is not set. Production needs a fixed random key of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters, e.g. "
                '`python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
            )
        if problem := secret_key_weakness(key):
            raise ConfigError(
                f"SECRET_KEY is too weak for production ({problem}): use at least "
                f"{MIN_SECRET_KEY_LENGTH} random characters, e.g. "
                '`python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
            )
        return key
    if key:
        return key
    # Development and testing: generate one key and keep it, so sessions survive restarts.
    path = instance_path / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _hsts(env: Mapping[str, str]) -> str:
    max_age = _int(env, "DESKGRAPH_HSTS_MAX_AGE", 365 * 24 * 3600, minimum=365 * 24 * 3600)
    subdomains = "; includeSubDomains" if _bool(env, "DESKGRAPH_HSTS_SUBDOMAINS", True) else ""
    return f"max-age={max_age}{subdomains}"


SMTP_SECURITIES = {"none": 25, "starttls": 587, "ssl": 465}  # each with its default port


def _mail(env: Mapping[str, str]) -> dict[str, Any]:
    """Mail out's settings (docs/mail.md). Without SMTP_HOST mail is recorded, not sent."""
    security = env.get("SMTP_SECURITY", "").strip().lower() or "none"
    if security not in SMTP_SECURITIES:
        raise ConfigError(
            f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITIES)}, got {security!r}"
        )
    mail_from = env.get("MAIL_FROM", "").strip() or "servicedesk@localhost"
    for name, address in (("MAIL_FROM", mail_from), ("MAIL_REPLY_TO", env.get("MAIL_REPLY_TO"))):
        if address and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address.strip()):
            raise ConfigError(f"{name} must be a plain address such as desk@example.org")
    return {
        "SMTP_HOST": env.get("SMTP_HOST", "").strip() or None,
        "SMTP_PORT": _int(env, "SMTP_PORT", SMTP_SECURITIES[security]),
        "SMTP_SECURITY": security,
        "SMTP_USERNAME": env.get("SMTP_USERNAME", "").strip() or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_TIMEOUT": _int(env, "SMTP_TIMEOUT", 10),
        "SMTP_CA_FILE": env.get("SMTP_CA_FILE", "").strip() or None,
        "MAIL_FROM": mail_from.lower(),
        "MAIL_FROM_NAME": env.get("MAIL_FROM_NAME", "").strip() or "Deskgraph Service Desk",
        "MAIL_REPLY_TO": (env.get("MAIL_REPLY_TO", "").strip() or mail_from).lower(),
    }


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Wait for a writer instead of failing at once with "database is locked".
        return {"connect_args": {"timeout": 15}}
    # A connection idle for over half a second is pinged before use (app/postgres.py) instead
    # of every connection at every checkout (``pool_pre_ping``).
    return {"pool_recycle": 1800}


def load_config(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build Flask's configuration from the environment.

    :raise ConfigError: a variable is malformed, or production settings are unsafe.
    """
    env = read_environment(environ)
    environment = env.get("DESKGRAPH_ENV", "development").strip().lower() or "development"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"DESKGRAPH_ENV must be one of {', '.join(ENVIRONMENTS)}")

    timezone = env.get("DESKGRAPH_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"DESKGRAPH_TIMEZONE must be an IANA time zone such as Europe/Paris, got {timezone!r}"
        ) from None

    database_url = normalise_database_url(
        env.get("DATABASE_URL", "").strip() or f"sqlite:///{instance_path / 'deskgraph.sqlite3'}"
    )
    production = environment == "production"
    attachment_store = env.get("DESKGRAPH_ATTACHMENT_STORE", "").strip().lower() or "database"
    if attachment_store not in ATTACHMENT_STORES:
        raise ConfigError(
            f"DESKGRAPH_ATTACHMENT_STORE must be one of {', '.join(ATTACHMENT_STORES)}, "
            f"got {attachment_store!r}"
        )
    config: dict[str, Any] = {
        "DESKGRAPH_ENV": environment,
        "TESTING": environment == "testing",
        "SECRET_KEY": _secret_key(env, instance_path, environment),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "REDIS_URL": env.get("REDIS_URL", "").strip() or None,
        "DESKGRAPH_TIMEZONE": timezone,
        # The language of people who chose none, have none in the directory and whose browser
        # asks for none the desk speaks (English, or any language with translations).
        "DESKGRAPH_LANGUAGE": (env.get("DESKGRAPH_LANGUAGE", "").strip().lower() or "en"),
        # Where people reach the desk: the links in mails are absolute (no request to read).
        "DESKGRAPH_BASE_URL": (
            env.get("DESKGRAPH_BASE_URL", "").strip() or "http://localhost:5000"
        ).rstrip("/"),
        "MAX_CONTENT_LENGTH": _int(env, "DESKGRAPH_MAX_UPLOAD_MB", 25) * 1024 * 1024,
        # Where new attachments and staged imports go: rows in the database (every node shares
        # them, no mount needed) or files under ATTACHMENTS_DIR (a mount every node shares).
        "ATTACHMENT_STORE": attachment_store,
        "ATTACHMENTS_DIR": env.get("DESKGRAPH_ATTACHMENTS_DIR", "").strip()
        or str(instance_path / "attachments"),
        "CMDB_IMPORT_MAX_BYTES": _int(env, "DESKGRAPH_CMDB_IMPORT_MAX_BYTES", 10 * 1024 * 1024),
        "SHEET_IMPORT_MAX_BYTES": _int(env, "DESKGRAPH_SHEET_IMPORT_MAX_BYTES", 5 * 1024 * 1024),
        # Rows a sheet imported on the web may have: each is written through the services
        # within the request (tens of ms a row); `flask import sheet` has no limit.
        "SHEET_IMPORT_MAX_ROWS": _int(env, "DESKGRAPH_SHEET_IMPORT_MAX_ROWS", 1000),
        # Approvals still pending after this much business time are re-notified once.
        "REQUEST_REMINDER_HOURS": _int(env, "DESKGRAPH_REQUEST_REMINDER_HOURS", 8),
        "REQUEST_REMINDER_CALENDAR": env.get("DESKGRAPH_REQUEST_REMINDER_CALENDAR", "").strip()
        or None,
        # How long the one-click approve / reject links in approval mails stay valid.
        "APPROVAL_LINK_DAYS": _int(env, "DESKGRAPH_APPROVAL_LINK_DAYS", 14),
        # How long a satisfaction survey's mail link works (and the survey takes a first answer).
        "SURVEY_LINK_DAYS": _int(env, "DESKGRAPH_SURVEY_LINK_DAYS", 14),
        "LOG_LEVEL": env.get("DESKGRAPH_LOG_LEVEL", "INFO").strip().upper() or "INFO",
        # Log lines as text (people) or one JSON object per line (a log collector).
        "LOG_FORMAT": _choice(env, "DESKGRAPH_LOG_FORMAT", ("text", "json")),
        # /metrics (Prometheus) answers only with this bearer token; unset: no /metrics.
        "METRICS_TOKEN": env.get("DESKGRAPH_METRICS_TOKEN", "").strip() or None,
        # Sign-in throttle per (username, address): free failures, then doubling delays.
        "SIGNIN_MAX_FAILURES": _int(env, "DESKGRAPH_SIGNIN_MAX_FAILURES", 5),
        "SIGNIN_DELAY_SECONDS": _int(env, "DESKGRAPH_SIGNIN_DELAY_SECONDS", 2),
        "SIGNIN_MAX_DELAY_SECONDS": _int(env, "DESKGRAPH_SIGNIN_MAX_DELAY_MINUTES", 15) * 60,
        "SIGNIN_MAX_FAILURES_PER_ADDRESS": _int(env, "DESKGRAPH_SIGNIN_MAX_FAILURES_PER_IP", 30),
        "SIGNIN_WINDOW_SECONDS": _int(env, "DESKGRAPH_SIGNIN_WINDOW_MINUTES", 15) * 60,
        "PASSWORD_MIN_LENGTH": _int(env, "DESKGRAPH_PASSWORD_MIN_LENGTH", 12, minimum=8),
        # werkzeug's default is scrypt; tests trade strength for speed with a cheap method.
        "PASSWORD_HASH_METHOD": env.get("DESKGRAPH_PASSWORD_HASH", "").strip() or "scrypt",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env, "DESKGRAPH_SECURE_COOKIES", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env, "DESKGRAPH_SECURE_COOKIES", production),
        # Flask-Login's default is a year; "keep me signed in" lasts a month unless set.
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int(env, "DESKGRAPH_REMEMBER_DAYS", 30)),
        # Strict-Transport-Security on HTTPS responses in production (None: not sent).
        "HSTS": _hsts(env) if production else None,
        "PER_PAGE": _int(env, "DESKGRAPH_PER_PAGE", 25),
        "INCIDENT_REOPEN_DAYS": _int(env, "DESKGRAPH_REOPEN_DAYS", 7),
        # The directory group whose members (IT staff) review and publish knowledge articles.
        "KB_MANAGER_GROUP": env.get("DESKGRAPH_KB_MANAGER_GROUP", "").strip()
        or "Knowledge managers",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "TRUSTED_PROXIES": _int(env, "DESKGRAPH_TRUSTED_PROXIES", 0, minimum=0),
        # Mail in (docs/mail.md): the largest message read, the loop and flood limits, and
        # what a message from an unknown sender does when no mailbox says it.
        "MAIL_MAX_BYTES": _int(env, "MAIL_MAX_MB", 25) * 1024 * 1024,
        "MAIL_MAX_TICKETS_PER_SENDER_HOUR": _int(env, "MAIL_MAX_TICKETS_PER_SENDER_HOUR", 10),
        "MAIL_MAX_REOPENS_PER_TICKET_HOUR": _int(env, "MAIL_MAX_REOPENS_PER_TICKET_HOUR", 3),
        "MAIL_UNKNOWN_SENDERS": _choice(env, "MAIL_UNKNOWN_SENDERS", ("create", "refuse")),
        # Housekeeping (`flask deskgraph purge`): days each kind of spent row is kept.
        "PURGE_OUTBOX_DAYS": _int(env, "DESKGRAPH_PURGE_OUTBOX_DAYS", 30),
        "PURGE_SUBMISSIONS_DAYS": _int(env, "DESKGRAPH_PURGE_SUBMISSIONS_DAYS", 90),
        "PURGE_NOTIFICATIONS_DAYS": _int(env, "DESKGRAPH_PURGE_NOTIFICATIONS_DAYS", 90),
        "PURGE_MAIL_DAYS": _int(env, "MAIL_PURGE_IGNORED_DAYS", 30),
        # The API (docs/api.md): calls per token (a Flask-Limiter rate string), where the
        # counters live (Redis when REDIS_URL is set, shared by every worker), the largest
        # JSON body read.
        "API_RATE_LIMIT": _rate(env, "DESKGRAPH_API_RATE_LIMIT", "600 per minute"),
        "API_RATE_LIMIT_STORAGE": env.get("REDIS_URL", "").strip() or "memory://",
        "API_MAX_BODY_BYTES": _int(env, "DESKGRAPH_API_MAX_BODY_KB", 1024) * 1024,
        # Outgoing webhooks (docs/webhooks.md): failed attempts in a row that switch a
        # subscription off, the HTTP timeouts, and whether loopback and private networks may
        # be sent to (never by default in production: a subscription must not reach inside).
        "WEBHOOK_MAX_FAILURES": _int(env, "DESKGRAPH_WEBHOOK_MAX_FAILURES", 10),
        "WEBHOOK_CONNECT_TIMEOUT": _int(env, "DESKGRAPH_WEBHOOK_CONNECT_TIMEOUT", 5),
        "WEBHOOK_READ_TIMEOUT": _int(env, "DESKGRAPH_WEBHOOK_READ_TIMEOUT", 10),
        "WEBHOOK_ALLOW_PRIVATE": _bool(env, "DESKGRAPH_WEBHOOK_ALLOW_PRIVATE", not production),
        # The key the signing secrets are sealed under is derived from this (SECRET_KEY when
        # unset); changing it makes every secret unreadable until an administrator makes new
        # ones. Deliveries (the log) are kept this many days once sent or given up.
        "WEBHOOK_SECRETS_KEY": env.get("DESKGRAPH_WEBHOOK_SECRETS_KEY", "").strip() or None,
        "PURGE_WEBHOOK_DELIVERIES_DAYS": _int(env, "DESKGRAPH_PURGE_WEBHOOK_DELIVERIES_DAYS", 30),
    }
    config.update(_mail(env))
    # Directory settings (LDAP_URL, LDAP_BIND_DN, ...) pass through as they are; the directory
    # package validates them. An unset LDAP_URL means "no directory": local accounts only.
    config.update({k: v for k, v in env.items() if k.startswith("LDAP_")})
    config.setdefault("LDAP_URL", "")
    return config
