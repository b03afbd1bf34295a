"""Mail out over STARTTLS and implicit TLS, with authentication, to a real server that
requires them; and the settings that choose them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.config import ConfigError, load_config
from app.mail.outgoing.models import MailState, OutboundMail
from app.mail.outgoing.services import queue_mail
from tests.smtp_server import USERNAME, SmtpServer, point_at

# aiosmtpd warns when it takes AUTH outside STARTTLS (it cannot tell implicit TLS apart).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def secure_server(request, tmp_path):
    security, auth = request.param
    server = SmtpServer(tmp_path, security=security, auth=auth).start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "secure_server", [("starttls", True), ("ssl", True), ("none", True)], indirect=True
)
def test_mail_goes_out_over_tls_with_login(app, db, secure_server, monkeypatch):
    point_at(app, secure_server, monkeypatch)
    mail = queue_mail(to_address="kim@example.org", subject="Secure", text="Over TLS")
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.SENT, mail.last_error
    assert secure_server.logins == [USERNAME]
    (message,) = secure_server.messages()
    assert message["Subject"] == "Secure"
    assert message.get_content().strip() == "Over TLS"


@pytest.mark.parametrize("secure_server", [("starttls", False)], indirect=True)
def test_a_server_that_requires_starttls_refuses_plain_mail(app, db, secure_server, monkeypatch):
    point_at(app, secure_server, monkeypatch)
    monkeypatch.setitem(app.config, "SMTP_SECURITY", "none")
    mail = queue_mail(to_address="kim@example.org", subject="Plain", text="x")
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.DEAD  # 530: a 5xx answer
    assert "530" in mail.last_error
    assert secure_server.received == []


@pytest.mark.parametrize("secure_server", [("starttls", False)], indirect=True)
def test_an_untrusted_certificate_is_not_accepted(app, db, secure_server, monkeypatch):
    point_at(app, secure_server, monkeypatch)
    monkeypatch.setitem(app.config, "SMTP_CA_FILE", None)
    mail = queue_mail(to_address="kim@example.org", subject="Plain", text="x")
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.FAILED  # retried: the operator can fix the setting
    assert "CERTIFICATE_VERIFY_FAILED" in mail.last_error
    assert secure_server.received == []


@pytest.mark.parametrize("secure_server", [("starttls", True)], indirect=True)
def test_a_wrong_password_leaves_the_mail_to_retry(app, db, secure_server, monkeypatch):
    point_at(app, secure_server, monkeypatch)
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "wrong")
    queue_mail(to_address="kim@example.org", subject="Hi", text="x")
    db.session.commit()
    mail = db.session.scalars(select(OutboundMail)).one()
    assert mail.state == MailState.FAILED
    assert mail.last_error.startswith("authentication refused: 535")
    assert secure_server.received == []


def test_mail_settings_have_defaults_and_refuse_nonsense(tmp_path):
    def mail_config(**env: str) -> dict:
        environ = {"DESKGRAPH_ENV": "testing", "SECRET_KEY": "k" * 8 + "-0123456789abcdefghijklmn"}
        return load_config(tmp_path, {**environ, **env})

    config = mail_config()
    assert config["SMTP_HOST"] is None
    assert config["MAIL_FROM"] == "servicedesk@localhost"
    assert config["MAIL_REPLY_TO"] == "servicedesk@localhost"
    assert config["MAIL_FROM_NAME"] == "Deskgraph Service Desk"
    assert config["SMTP_TIMEOUT"] == 10
    assert [mail_config(SMTP_SECURITY=s)["SMTP_PORT"] for s in ("none", "starttls", "ssl")] == [
        25,
        587,
        465,
    ]
    assert mail_config(SMTP_SECURITY="SSL", SMTP_PORT="2465")["SMTP_PORT"] == 2465
    with pytest.raises(ConfigError, match="SMTP_SECURITY must be one of none, starttls, ssl"):
        mail_config(SMTP_SECURITY="tls")
    with pytest.raises(ConfigError, match="MAIL_FROM must be a plain address"):
        mail_config(MAIL_FROM="Service Desk <desk@example.org>")
