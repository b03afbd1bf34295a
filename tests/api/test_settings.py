"""The API's settings: read in app.config, refused when malformed."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_config


def test_api_settings_have_defaults_and_follow_redis(tmp_path):
    config = load_config(tmp_path, {})
    assert config["API_RATE_LIMIT"] == "600 per minute"
    assert config["API_RATE_LIMIT_STORAGE"] == "memory://"
    assert config["API_MAX_BODY_BYTES"] == 1024 * 1024
    shared = load_config(tmp_path, {"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert shared["API_RATE_LIMIT_STORAGE"] == "redis://127.0.0.1:6379/0"


def test_a_malformed_rate_limit_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match="DESKGRAPH_API_RATE_LIMIT"):
        load_config(tmp_path, {"DESKGRAPH_API_RATE_LIMIT": "lots"})
    assert load_config(tmp_path, {"DESKGRAPH_API_RATE_LIMIT": "5/second;100/hour"})
