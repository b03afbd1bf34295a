"""Configuration from the environment: defaults, validation, secret key handling."""

from __future__ import annotations

import os
import secrets
import stat

import pytest

from app.config import ConfigError, load_config, normalise_database_url


def test_defaults_use_a_sqlite_file_in_the_instance_folder(tmp_path):
    config = load_config(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'deskgraph.sqlite3'}"
    assert config["DESKGRAPH_ENV"] == "development"
    assert config["DESKGRAPH_TIMEZONE"] == "UTC"
    assert config["REDIS_URL"] is None
    assert config["LDAP_URL"] == ""
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = load_config(tmp_path, {})["SECRET_KEY"]
    second = load_config(tmp_path, {})["SECRET_KEY"]
    assert first == second
    assert len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    "key",
    [
        "",
        "short",
        "changeme",
        "x" * 31,
        "a" * 40,  # long, but one character
        "abcd" * 10,  # few characters
        "0123456789abcdefghij" * 2,  # a repeated pattern
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",  # the alphabet
        "k" * 20 + "0123456789abcdefghij",  # half of it one character
        "0123456789" + "x9" * 11,  # too little entropy for its length
    ],
)
def test_production_refuses_a_missing_or_weak_secret_key(tmp_path, key):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, {"DESKGRAPH_ENV": "production", "SECRET_KEY": key})
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(48), lambda: secrets.token_hex(16)])
def test_production_accepts_every_key_the_documented_generators_make(tmp_path, make):
    for _ in range(200):
        key = make()
        assert load_config(tmp_path, {"DESKGRAPH_ENV": "production", "SECRET_KEY": key})


def test_production_accepts_a_random_hex_key_that_repeats_its_characters(tmp_path):
    # 32 random hex digits use only 9 different ones about once in 10,000 draws of
    # ``secrets.token_hex(16)``; such a key is as random as the others
    key = "034b38025b09534bd823945400920454"
    assert load_config(tmp_path, {"DESKGRAPH_ENV": "production", "SECRET_KEY": key})


def test_production_accepts_a_strong_key_and_secures_cookies(tmp_path):
    key = secrets.token_urlsafe(48)
    config = load_config(tmp_path, {"DESKGRAPH_ENV": "production", "SECRET_KEY": key})
    assert config["SECRET_KEY"] == key
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DESKGRAPH_TIMEZONE": "Mars/Olympus"}, "DESKGRAPH_TIMEZONE"),
        ({"DESKGRAPH_MAX_UPLOAD_MB": "lots"}, "DESKGRAPH_MAX_UPLOAD_MB must be a whole number"),
        ({"DESKGRAPH_MAX_UPLOAD_MB": "0"}, "at least 1"),
        ({"DESKGRAPH_ENV": "staging"}, "DESKGRAPH_ENV"),
        ({"DESKGRAPH_SECURE_COOKIES": "maybe"}, "true or false"),
    ],
)
def test_malformed_settings_are_named_in_the_error(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env)


def test_settings_are_read_from_the_environment(tmp_path):
    config = load_config(
        tmp_path,
        {
            "DATABASE_URL": "postgres://desk@db.internal/desk",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DESKGRAPH_TIMEZONE": "Europe/Paris",
            "DESKGRAPH_MAX_UPLOAD_MB": "5",
            "LDAP_URL": "ldaps://ldap.internal",
            "LDAP_BIND_DN": "cn=desk,dc=example,dc=org",
        },
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://desk@db.internal/desk"
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert config["DESKGRAPH_TIMEZONE"] == "Europe/Paris"
    assert config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert config["LDAP_URL"] == "ldaps://ldap.internal"
    assert config["LDAP_BIND_DN"] == "cn=desk,dc=example,dc=org"
    assert config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_recycle": 1800}  # pinged when idle


def test_dotenv_file_is_read_but_never_overrides_the_environment(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("DESKGRAPH_TIMEZONE=Asia/Tokyo\nREDIS_URL=redis://from-file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REDIS_URL", "redis://from-env")
    monkeypatch.delenv("DESKGRAPH_TIMEZONE", raising=False)
    config = load_config(tmp_path / "instance")
    assert config["DESKGRAPH_TIMEZONE"] == "Asia/Tokyo"
    assert config["REDIS_URL"] == "redis://from-env"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_postgres_urls_use_psycopg3(url, expected):
    assert normalise_database_url(url) == expected
