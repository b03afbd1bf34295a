"""Sign-in, sign-out, throttling, safe redirects, cookies and CSRF."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.auth.models import SignInFailure, SignInThrottle
from app.timeutils import utc_now
from tests.conftest import PASSWORD


def test_correct_password_signs_in_and_records_the_time(client, make_user, db):
    user = make_user("ann.lee")
    response = client.login("Ann.Lee")  # usernames are case-insensitive
    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Hello, Ann.Lee" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert utc_now() - user.last_login_at < timedelta(minutes=1)


@pytest.mark.parametrize("username", ["ann.lee", "nobody"])
def test_wrong_password_or_unknown_user_get_the_same_answer(client, make_user, username):
    make_user("ann.lee")
    response = client.login(username, "wrong password!")
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert "The username or password is not correct." in body
    assert client.get("/").status_code == 302  # still anonymous


def test_empty_password_is_refused_before_any_check(client, make_user, db):
    make_user("ann.lee")
    response = client.login("ann.lee", "")
    assert response.status_code == 422
    assert "Enter your password." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_a_user_without_a_password_cannot_sign_in_locally(client, make_user):
    make_user("dir.user", password=None)
    assert client.login("dir.user", "anything at all").status_code == 401


def _from(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def _let_time_pass(db):
    """As if the delay earned so far had passed."""
    for row in db.session.scalars(select(SignInThrottle)):
        row.next_attempt_at = utc_now() - timedelta(seconds=1)
    db.session.commit()


def test_failures_from_one_address_earn_growing_delays(app, client, make_user, db):
    make_user("ann.lee")
    free, first = app.config["SIGNIN_MAX_FAILURES"], app.config["SIGNIN_DELAY_SECONDS"]
    for _ in range(free):
        assert client.login("ann.lee", "wrong password!").status_code == 401
    throttled = client.login("ann.lee", PASSWORD)  # even the right password waits
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == str(first)
    assert f"Try again in {first} seconds" in throttled.get_data(as_text=True)
    _let_time_pass(db)
    assert client.login("ann.lee", "wrong password!").status_code == 401
    throttled = client.login("ann.lee", PASSWORD)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == str(first * 2)  # each failure doubles it
    _let_time_pass(db)
    assert client.login("ann.lee", PASSWORD).status_code == 302


def test_a_stranger_guessing_cannot_lock_the_person_out(app, client, make_user, db):
    make_user("ann.lee")
    client.get("/login")
    answers = [
        client.post(
            "/login", {"username": "ann.lee", "password": "guess!"}, **_from("203.0.113.9")
        ).status_code
        for _ in range(app.config["SIGNIN_MAX_FAILURES"] + 3)
    ]
    assert answers[-1] == 429  # the guesser waits
    assert client.login("ann.lee").status_code == 302  # the person, elsewhere, does not


def test_an_address_trying_many_usernames_is_stopped(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_MAX_FAILURES_PER_ADDRESS", 4)
    make_user("ann.lee")
    for n in range(4):
        assert client.login(f"someone{n}", "guess!").status_code == 401
    response = client.login("ann.lee")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def test_success_clears_earlier_failures(client, make_user, db):
    make_user("ann.lee")
    client.login("ann.lee", "wrong password!")
    assert client.login("ann.lee").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SignInThrottle)) == 0
    count = db.session.scalar(
        select(func.count()).select_from(SignInFailure).where(SignInFailure.username == "ann.lee")
    )
    assert count == 0


def test_concurrent_guesses_cannot_pass_the_limit(fresh_database_url, tmp_path):
    """Guesses sent all at once for one account from one address: exactly the free ones are
    checked, every other one is told to wait (the count is claimed under a row lock)."""
    import threading

    from app.auth import services, throttle
    from app.extensions import db
    from tests.conftest import build_app, migrate

    app = build_app(fresh_database_url, tmp_path / "instance")
    migrate(app)
    with app.app_context():
        services.create_local_user(username="ann.lee", display_name="Ann", password=PASSWORD)
        db.session.commit()
    guesses = 12
    start = threading.Barrier(guesses)
    answers: list[str] = []

    def guess(number: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                services.authenticate("ann.lee", f"guess {number}", address="198.51.100.7")
            except services.SignInRefused:
                db.session.commit()
                answers.append("refused")
            except throttle.SignInThrottled:
                db.session.rollback()
                answers.append("throttled")
            except BaseException as error:  # reported below
                answers.append(repr(error))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    with app.app_context():
        free = app.config["SIGNIN_MAX_FAILURES"]
        db.engine.dispose()
    assert sorted(answers) == ["refused"] * free + ["throttled"] * (guesses - free)


def test_deactivated_accounts_cannot_sign_in_and_lose_their_session(client, make_user, db):
    user = make_user("ann.lee")
    assert client.login("ann.lee").status_code == 302
    user.is_active = False
    db.session.commit()
    assert client.get("/").status_code == 302  # the session no longer counts
    response = client.login("ann.lee")
    assert response.status_code == 401
    assert "deactivated" in response.get_data(as_text=True)


def test_anonymous_visit_is_sent_to_sign_in_and_back(client, make_user):
    make_user("ann.lee")
    response = client.get("/account")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    form = client.get(response.location).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account"' in form
    response = client.post(
        "/login", {"username": "ann.lee", "password": PASSWORD, "next": "/account"}
    )
    assert response.location == "/account"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
        "\\\\evil.example",
        "http:/evil.example",
    ],
)
def test_next_never_redirects_off_site(client, make_user, target):
    make_user("ann.lee")
    response = client.post("/login", {"username": "ann.lee", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    location = response.location
    assert urlsplit(location).netloc == ""
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))
    assert "evil" not in location


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user("ann.lee")
    response = client.login("ann.lee")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sign_in_without_csrf_token_is_refused(client, make_user):
    make_user("ann.lee")
    client.get("/login")
    response = client.post("/login", {"username": "ann.lee", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_out_is_a_post_with_csrf(client, make_user):
    make_user("ann.lee")
    client.login("ann.lee")
    assert client.open("GET", "/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_oversized_credentials_are_refused_cleanly(client, make_user):
    make_user("ann.lee")
    response = client.post("/login", {"username": "a" * 500, "password": "p" * 5000})
    assert response.status_code == 422


def test_concurrent_sign_ins_to_one_account_never_conflict(fresh_database_url, tmp_path):
    """Several browsers signing in as one person at the same moment all get in (the sign-in
    time is not an edit of the account, so it must not trip the optimistic lock)."""
    import threading

    from app.auth import services
    from app.extensions import db
    from tests.conftest import build_app, migrate

    app = build_app(fresh_database_url, tmp_path / "instance")
    migrate(app)
    with app.app_context():
        services.create_local_user(username="ann.lee", display_name="Ann", password=PASSWORD)
        db.session.commit()
    threads, rounds = 6, 4
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def sign_in(number: int) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(rounds):
                with app.app_context():
                    services.authenticate("ann.lee", PASSWORD, address=f"10.0.0.{number}")
                    db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=sign_in, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    with app.app_context():
        user = services.get_user_by_username("ann.lee")
        version, last_login = user.version, user.last_login_at
        db.session.remove()
        db.engine.dispose()
    assert errors == []
    assert last_login is not None
    assert version == 1  # signing in is not an edit of the account


def _cookie(client, name):
    cookie = client._client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _browser_with(app, name, value):
    """Another browser holding only a copy of one cookie."""
    from tests.conftest import Client

    other = Client(app.test_client())
    other._client.set_cookie(name, value)
    return other


def _remembered_login(client, username):
    client.get("/login")
    response = client.post("/login", {"username": username, "password": PASSWORD, "remember": "y"})
    client._token = None
    assert response.status_code == 302
    return _cookie(client, "remember_token")


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, make_user):
    make_user("ann.lee")
    client.login("ann.lee")
    thief = _browser_with(app, "session", _cookie(client, "session"))
    assert thief.get("/").status_code == 200  # a copy works while the session lives
    assert client.post("/logout").status_code == 302
    response = thief.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_a_remember_me_cookie_stops_working_after_a_password_change(app, client, make_user):
    make_user("ann.lee")
    remembered = _remembered_login(client, "ann.lee")
    assert _browser_with(app, "remember_token", remembered).get("/").status_code == 200
    response = client.post(
        "/account/password",
        {
            "pw-current_password": PASSWORD,
            "pw-new_password": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert _browser_with(app, "remember_token", remembered).get("/").status_code == 302
    # The browser that changed the password stays signed in, and is remembered anew.
    page = client.get("/account")
    assert page.status_code == 200
    assert "Other devices are signed out" in page.get_data(as_text=True)
    assert (
        _browser_with(app, "remember_token", _cookie(client, "remember_token")).get("/").status_code
        == 200
    )


def test_sign_out_everywhere_ends_every_session_and_remember_me_cookie(app, client, make_user):
    from tests.conftest import Client

    make_user("ann.lee")
    laptop = Client(app.test_client())
    remembered = _remembered_login(laptop, "ann.lee")
    client.login("ann.lee")
    assert "Sign out everywhere" in client.get("/account").get_data(as_text=True)
    response = client.post("/account/sign-out-everywhere")
    assert response.status_code == 302
    assert response.location == "/login"
    assert "signed out on every device" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert laptop.get("/").status_code == 302
    assert _browser_with(app, "remember_token", remembered).get("/").status_code == 302
    assert client.login("ann.lee").status_code == 302  # signing in again works


def test_an_administrator_signs_a_person_out_everywhere(app, client, make_user, signed_in):
    from tests.conftest import Client

    person = make_user("ann.lee")
    phone = Client(app.test_client())
    remembered = _remembered_login(phone, "ann.lee")
    admin, _ = signed_in("admin", "employee")
    assert "Sign out everywhere" in admin.get(f"/admin/users/{person.id}").get_data(as_text=True)
    response = admin.post(f"/admin/users/{person.id}/sessions")
    assert response.status_code == 302
    assert "signed out on every device" in admin.get(response.location).get_data(as_text=True)
    assert phone.get("/").status_code == 302
    assert _browser_with(app, "remember_token", remembered).get("/").status_code == 302


def test_deactivation_ends_sessions_for_good(app, client, make_user, db):
    from app.auth import services

    person = make_user("ann.lee")
    admin = make_user("boss", roles=["admin"])
    remembered = _remembered_login(client, "ann.lee")
    services.set_active(person, False, actor=admin)
    db.session.commit()
    assert client.get("/").status_code == 302
    # Reactivated later, the account's old cookies still do not come back to life.
    services.set_active(person, True, actor=admin)
    db.session.commit()
    assert _browser_with(app, "remember_token", remembered).get("/").status_code == 302
    assert client.login("ann.lee").status_code == 302


def test_keep_me_signed_in_lasts_a_month_not_a_year(client, make_user):
    from email.utils import parsedate_to_datetime

    make_user("ann.lee")
    client.get("/login")
    response = client.post("/login", {"username": "ann.lee", "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "remember_token" in c)
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(days=29) < expires - utc_now() <= timedelta(days=30)


def test_an_attempt_that_queued_behind_another_is_not_refused(app, db):
    """Concurrent attempts take their time before queueing on the row lock, so the second to
    get the lock may carry the earlier time; while failures are free it must pass."""
    from app.auth import throttle

    with app.test_request_context():
        later = utc_now()
        throttle.claim_attempt("ann.lee", "192.0.2.1", later)
        throttle.claim_attempt("ann.lee", "192.0.2.1", later - timedelta(milliseconds=5))
