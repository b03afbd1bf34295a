"""Personal access tokens: shown once, stored hashed, scoped, expiring, revocable, noted when
used; the person behind a token is held to the pages' rules."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from app.api.tokens import services
from app.api.tokens.models import ApiToken


def test_a_token_is_stored_hashed_and_noted_when_used(api_client, db):
    api, _ = api_client("employee")
    token = db.session.scalar(select(ApiToken))
    assert api.token not in (token.secret_hash, token.lookup)
    assert api.token.split("_", 2)[2] not in repr(token.__dict__)
    assert token.last_used_at is None
    assert api.get("/api/v1/incidents").status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_no_token_or_a_wrong_one_is_401_whatever_the_session(app, api_client, signed_in):
    api, _ = api_client("agent")
    client, _ = signed_in("agent")  # a session cookie does not open the API
    response = client.get("/api/v1/incidents")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"
    forged = api.token[:-4] + "AAAA"
    wrong = app.test_client().get(
        "/api/v1/incidents", headers={"Authorization": f"Bearer {forged}"}
    )
    assert wrong.status_code == 401


def test_an_expired_token_is_refused(api_client, db):
    api, _ = api_client("agent", expires_days=1)
    token = db.session.scalar(select(ApiToken))
    token.expires_at = token.created_at - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/api/v1/incidents").status_code == 401


def test_a_revoked_token_is_refused(api_client, db):
    api, user = api_client("agent")
    token = db.session.scalar(select(ApiToken))
    assert services.revoke_token(token, actor=user)
    db.session.commit()
    assert api.get("/api/v1/incidents").status_code == 401


def test_a_deactivated_persons_token_is_refused(api_client, db):
    api, user = api_client("agent")
    user.is_active = False
    db.session.commit()
    assert api.get("/api/v1/incidents").status_code == 401


def test_a_read_only_token_cannot_write(api_client):
    api, _ = api_client("employee", scopes=["incidents:read"])
    assert api.get("/api/v1/incidents").status_code == 200
    refused = api.post("/api/v1/incidents", json={"short_description": "Nope"})
    assert refused.status_code == 403
    assert "incidents:write" in refused.get_json()["detail"]


def test_a_scope_never_grants_what_the_role_does_not(api_client, make_incident):
    api, me = api_client("employee", scopes=["*:write"])
    incident = make_incident(me)
    response = api.post(
        f"/api/v1/incidents/{incident.number}/transitions", json={"state": "closed"}
    )
    assert response.status_code == 403


def test_unknown_scopes_and_expiries_are_refused(make_user, db):
    import pytest

    from app.errors import Invalid

    user = make_user()
    with pytest.raises(Invalid) as refused:
        services.create_token(user, name="x", scopes=["everything:read"], expires_days=0)
    assert set(refused.value.field_errors) == {"scopes", "expires_days"}


def test_the_cli_prints_a_working_token_once(app, make_user, db):
    user = make_user(roles=["agent"])
    result = CliRunner().invoke(
        app.cli,
        [
            "api",
            "token",
            "create",
            user.username,
            "--name",
            "ci",
            "--scope",
            "incidents:read",
            "--expires",
            "30",
        ],
        obj=None,
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("dg_")
    response = app.test_client().get(
        "/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.scopes == ["incidents:read"]
    assert token.expires_at is not None


def test_a_service_account_acts_through_its_token(app, db):
    runner = CliRunner()
    made = runner.invoke(
        app.cli, ["api", "service-account", "create", "monitoring", "--role", "agent"]
    )
    assert made.exit_code == 0, made.output
    secret = runner.invoke(app.cli, ["api", "token", "create", "monitoring", "--name", "prom"])
    response = app.test_client().post(
        "/api/v1/incidents",
        json={"short_description": "Disk full on db-01", "impact": 2},
        headers={"Authorization": f"Bearer {secret.output.strip()}"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["opened_by"]["username"] == "monitoring"
    # It has no password: it cannot sign in to the pages.
    from app.auth.services import get_user_by_username

    assert get_user_by_username("monitoring").password_hash is None


def test_the_settings_page_shows_a_new_token_once_and_revokes_it(signed_in, app, db):
    client, user = signed_in("employee")
    page = client.get("/settings/api-tokens/")
    assert page.status_code == 200
    made = client.post(
        "/settings/api-tokens/",
        {"name": "laptop script", "scopes": ["incidents:read"], "expires_days": ""},
    )
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    secret = html.split('id="new-token" readonly value="', 1)[1].split('"', 1)[0]
    assert secret.startswith(f"dg_{token.lookup}_")
    again = client.get("/settings/api-tokens/").get_data(as_text=True)
    assert secret not in again
    assert "laptop script" in again
    revoked = client.post(f"/settings/api-tokens/{token.id}/revoke", {})
    assert revoked.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None, revoked.location
    response = app.test_client().get(
        "/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401


def test_nobody_revokes_anothers_token(signed_in, make_user, make_token, db):
    other = make_user()
    make_token(other)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == other.id))
    client, _ = signed_in("employee")
    assert client.post(f"/settings/api-tokens/{token.id}/revoke", {}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
