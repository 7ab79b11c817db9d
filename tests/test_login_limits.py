"""What a login may cost and how long it lasts: failed logins throttled per username and per
address (state in the database), the CSRF token renewed at login, login sessions that expire when
idle and when too old, and a session cookie that says nothing about the password."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from inspection import create_app, migrate
from inspection.config import ConfigError
from inspection.db import get_session, make_engine
from inspection.models import LoginSession, LoginThrottle, User, utcnow
from inspection.services import login_sessions, login_throttle, users
from tests.factories import PASSWORD, audit_events, csrf_from, make_user, page_login

WRONG = "khong-dung-mat-khau"
NAT = "203.0.113.7"  # one office's public address, shared by the whole team


class Clock:
    """The throttle's clock, moved by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(login_throttle, "clock", fake)
    return fake


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash checked (the expensive step a locked login must never reach)."""
    checked: list[str] = []
    real = users.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counting)
    return checked


def api_login(client: FlaskClient, username: str, password: str, address: str = NAT):
    return client.post(
        "/api/v1/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def user_row(app: Flask, username: str) -> User:
    with app.app_context():
        return get_session().exec(select(User).where(User.username == username)).one()


# Throttling -------------------------------------------------------------------------------------


def test_forty_wrong_passwords_are_throttled_and_the_right_one_works_after_retry_after(
    app, clock, password_checks
):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    answers = [api_login(client, "insp-a", WRONG) for _ in range(40)]
    statuses = [r.status_code for r in answers]
    assert statuses[:5] == [401] * 5  # the first failures are ordinary wrong passwords
    assert statuses[5:] == [429] * 35
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 30
    # While locked, the password is not even checked: no cost, no timing to measure.
    assert len(password_checks) == 5
    assert api_login(client, "insp-a", PASSWORD).status_code == 429  # not even the right one
    assert len(password_checks) == 5
    events = audit_events(app, "login.throttle")
    assert [e.after["scope"] for e in events] == ["username"]
    assert events[0].entity == "user" and events[0].entity_id == str(user_row(app, "insp-a").id)
    assert events[0].after["failures"] == 5 and events[0].after["address"] == NAT
    clock.advance(wait)
    ok = api_login(client, "insp-a", PASSWORD)
    assert ok.status_code == 200 and ok.get_json()["user"]["username"] == "insp-a"


def test_a_successful_login_resets_the_usernames_count(app, clock):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    for _ in range(4):
        assert api_login(client, "insp-a", WRONG).status_code == 401
    assert api_login(client, "insp-a", PASSWORD).status_code == 200
    for _ in range(4):  # four more: still below the limit, the count started again
        assert api_login(app.test_client(), "insp-a", WRONG).status_code == 401
    assert api_login(app.test_client(), "insp-a", PASSWORD).status_code == 200


def test_each_further_failure_locks_longer_up_to_the_maximum(app, clock):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    for _ in range(5):
        api_login(client, "insp-a", WRONG)
    waits = []
    for _ in range(8):
        refused = api_login(client, "insp-a", WRONG)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
        assert api_login(client, "insp-a", WRONG).status_code == 401  # counted: longer lock
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    clock.advance(3600)  # an hour without a failure: forgotten
    assert api_login(client, "insp-a", WRONG).status_code == 401
    assert api_login(client, "insp-a", PASSWORD).status_code == 200


def test_the_login_page_is_throttled_too_with_a_vietnamese_message(app, clock):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    for _ in range(5):
        assert page_login(client, "insp-a", WRONG).status_code == 200
    refused = page_login(client, "insp-a", PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 30
    page = refused.get_data(as_text=True)
    assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 1 phút." in page
    assert 'name="password"' in page  # the form is there to try again later
    assert client.get("/").status_code == 302
    clock.advance(int(refused.headers["Retry-After"]))
    assert page_login(client, "insp-a", PASSWORD).status_code == 302


def test_the_page_and_the_api_count_together(app, clock):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    for _ in range(3):
        page_login(client, "insp-a", WRONG)
    for _ in range(2):
        api_login(client, "insp-a", WRONG, address="127.0.0.1")
    assert api_login(client, "insp-a", PASSWORD, address="127.0.0.1").status_code == 429
    assert page_login(client, "insp-a", PASSWORD).status_code == 429


def test_an_unknown_username_is_locked_like_a_real_one(app, clock, password_checks):
    """Otherwise the lock would tell which usernames exist."""
    client = app.test_client()
    statuses = [api_login(client, "khong-ai-ca", WRONG).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert len(password_checks) == 5  # a dummy hash checked, as for a real account
    events = audit_events(app, "login.throttle")
    assert [(e.entity, e.entity_id) for e in events] == [("login", "unknown-username")]


def test_a_typed_username_is_not_stored_in_clear(app, clock):
    """People type their password into the username field: the table keeps a hash."""
    client = app.test_client()
    api_login(client, "Mat-Khau-Bi-Mat-9", WRONG)
    with app.app_context():
        keys = list(get_session().exec(select(LoginThrottle.key)))
    assert len(keys) == 2 and not any("mat-khau" in key.lower() for key in keys)
    assert f"addr:{NAT}" in keys


def test_a_team_behind_one_office_address_is_not_locked_out(app, clock):
    team = [f"insp-{n:02d}" for n in range(20)]
    for username in team:
        make_user(app, username, "inspector")
    for n, username in enumerate(team):
        tablet = app.test_client()
        for _ in range(2 + n % 2):  # a couple of typos each, on the same office address
            assert api_login(tablet, username, WRONG).status_code == 401
        assert api_login(tablet, username, PASSWORD).status_code == 200, username
    assert audit_events(app, "login.throttle") == []


@pytest.fixture
def strict_address_app(app_config: dict) -> Iterator[Flask]:
    """The same rule with an address limit small enough to reach in a test."""
    app = create_app({**app_config, "LOGIN_ADDRESS_FAILURES": 12})
    yield app
    app.extensions["inspection.engine"].dispose()


def test_many_usernames_from_one_address_lock_that_address_only(strict_address_app, clock):
    app = strict_address_app
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    for n in range(12):  # a sweep: one guess per username, never reaching a username's limit
        assert api_login(client, f"doan-{n}", WRONG).status_code == 401
    refused = api_login(client, "insp-a", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    elsewhere = api_login(app.test_client(), "insp-a", PASSWORD, address="198.51.100.4")
    assert elsewhere.status_code == 200
    events = audit_events(app, "login.throttle")
    assert [(e.entity, e.entity_id, e.after["scope"]) for e in events] == [
        ("address", NAT, "address")
    ]


def test_ipv6_addresses_count_by_their_64_prefix(strict_address_app, clock):
    app = strict_address_app
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    for n in range(12):  # a new address of the same /64 for every guess
        address = f"2001:db8:1:2::{n + 1:x}"
        assert api_login(client, f"doan-{n}", WRONG, address=address).status_code == 401
    assert api_login(client, "insp-a", PASSWORD, address="2001:db8:1:2::ffff").status_code == 429
    assert api_login(client, "insp-a", PASSWORD, address="2001:db8:1:3::1").status_code == 200


def test_every_worker_sees_the_same_counts(app, app_config, clock):
    """Two application instances (two worker processes) on one database share the lock."""
    make_user(app, "insp-a", "inspector")
    other_worker = create_app(app_config)
    try:
        for _ in range(5):
            assert api_login(app.test_client(), "insp-a", WRONG).status_code == 401
        assert api_login(other_worker.test_client(), "insp-a", PASSWORD).status_code == 429
    finally:
        other_worker.extensions["inspection.engine"].dispose()


def test_simultaneous_failures_are_each_counted(app, clock):
    """Several requests failing at once (threads here, worker processes in production) create
    the key's row once and count every failure: no 500, no lost count."""
    attempts = 8
    start = threading.Barrier(attempts)

    def fail(_n: int) -> int:
        client = app.test_client()
        start.wait()
        return api_login(client, "insp-x", WRONG).status_code

    with ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(fail, range(attempts)))
    assert set(statuses) <= {401, 429}
    with app.app_context():
        rows = {row.key: row.failures for row in get_session().exec(select(LoginThrottle))}
    assert rows == {
        login_throttle.user_key("insp-x"): statuses.count(401),
        login_throttle.address_key(NAT): statuses.count(401),
    }


def test_an_admin_reset_lifts_the_lock(app, clock, generated):
    make_user(app, "admin1", "admin")
    target = make_user(app, "insp-a", "inspector")
    for _ in range(6):
        api_login(app.test_client(), "insp-a", WRONG)
    assert api_login(app.test_client(), "insp-a", PASSWORD).status_code == 429
    admin = app.test_client()
    page_login(admin, "admin1")
    new_password = reset_password(admin, target.id, generated)
    assert api_login(app.test_client(), "insp-a", new_password).status_code == 200


@pytest.mark.parametrize("name", ["LOGIN_USER_FAILURES", "SESSION_IDLE_HOURS"])
@pytest.mark.parametrize("value", [0, -1, "many", True])
def test_limits_that_cannot_work_are_refused_at_start(app_config, name: str, value: Any):
    with pytest.raises(ConfigError, match=f"INSPECTION_{name}"):
        create_app({**app_config, name: value})


# CSRF token -------------------------------------------------------------------------------------


def test_the_csrf_token_from_before_the_login_no_longer_works_after_it(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    before = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"username": "insp-a", "password": PASSWORD, "csrf_token": before}
    assert client.post("/login", data=form).status_code == 302
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    after = csrf_from(client.get("/").get_data(as_text=True))
    assert after != before
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


def test_the_api_login_answers_with_the_new_token(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    before = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/api/v1/login", json={"username": "insp-a", "password": PASSWORD})
    after = response.get_json()["csrf_token"]
    assert after != before
    stale = client.post("/api/v1/logout", headers={"X-CSRFToken": before})
    assert stale.status_code == 400 and stale.get_json()["error"]["code"] == "csrf_failed"
    assert client.post("/api/v1/logout", headers={"X-CSRFToken": after}).status_code == 200


# Session lifetime -------------------------------------------------------------------------------


def move_sessions(app: Flask, **back: dt.timedelta) -> None:
    """Move every login session's `created_at` / `last_seen_at` back by the given times."""
    with app.app_context():
        session = get_session()
        for row in session.exec(select(LoginSession)):
            for column, delta in back.items():
                setattr(row, column, getattr(row, column) - delta)
            session.add(row)
        session.commit()


def last_seen(app: Flask) -> dt.datetime:
    with app.app_context():
        return get_session().exec(select(LoginSession.last_seen_at)).one()


def test_the_idle_default_outlasts_a_day_in_the_field(app):
    lifetime = login_sessions.Lifetime.from_config(app.config)
    assert lifetime.idle >= dt.timedelta(hours=36) and lifetime.absolute > lifetime.idle


def test_a_session_idle_past_its_limit_is_refused(app):
    make_user(app, "insp-a", "inspector")
    tablet = app.test_client()
    page_login(tablet, "insp-a")
    idle = login_sessions.Lifetime.from_config(app.config).idle
    minute = dt.timedelta(minutes=1)
    move_sessions(app, created_at=idle - minute, last_seen_at=idle - minute)
    assert tablet.get("/").status_code == 200  # just within the idle time: still open
    move_sessions(app, created_at=idle + minute, last_seen_at=idle + minute)
    response = tablet.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert tablet.get("/api/v1/me").status_code == 401
    assert page_login(tablet, "insp-a").status_code == 302  # a new login opens a new session


def test_a_session_older_than_the_absolute_limit_is_refused_even_in_use(app):
    make_user(app, "insp-a", "inspector")
    api = app.test_client()
    assert api_login(api, "insp-a", PASSWORD).status_code == 200
    absolute = login_sessions.Lifetime.from_config(app.config).absolute
    move_sessions(app, created_at=absolute - dt.timedelta(minutes=1))
    assert api.get("/api/v1/me").status_code == 200  # in use every day, not yet too old
    move_sessions(app, created_at=dt.timedelta(minutes=2))
    assert api.get("/api/v1/me").status_code == 401
    assert api.get("/").status_code == 302


def test_configured_lifetimes_are_used(app_config):
    app = create_app({**app_config, "SESSION_IDLE_HOURS": 2, "SESSION_MAX_DAYS": 0.5})
    try:
        make_user(app, "insp-a", "inspector")
        client = app.test_client()
        api_login(client, "insp-a", PASSWORD)
        move_sessions(app, last_seen_at=dt.timedelta(hours=2, minutes=1))
        assert client.get("/api/v1/me").status_code == 401
        api_login(client, "insp-a", PASSWORD)
        move_sessions(app, created_at=dt.timedelta(hours=12, minutes=1))
        assert client.get("/api/v1/me").status_code == 401
    finally:
        app.extensions["inspection.engine"].dispose()


def test_last_seen_is_written_every_few_minutes_not_on_every_request(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    api_login(client, "insp-a", PASSWORD)
    first = last_seen(app)
    for _ in range(3):
        assert client.get("/api/v1/me").status_code == 200
    assert last_seen(app) == first  # no write per request
    move_sessions(app, last_seen_at=login_sessions.TOUCH_EVERY)
    assert client.get("/api/v1/me").status_code == 200
    assert last_seen(app) > first - login_sessions.TOUCH_EVERY  # refreshed: the session lives on


# The cookie holds no secret ---------------------------------------------------------------------


def cookie_contents(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return json.dumps(data, default=str)


def secrets_of(password: str, password_hash: str) -> list[str]:
    digests = [hashlib.sha256(value.encode()).hexdigest() for value in (password, password_hash)]
    return [password, password_hash, *password_hash.split("$"), *digests]


def shares_a_piece(text_: str, secret: str, piece: int = 10) -> bool:
    """Whether any `piece` characters in a row of the secret appear in the text."""
    if len(secret) <= piece:
        return secret in text_
    return any(secret[i : i + piece] in text_ for i in range(len(secret) - piece + 1))


def test_the_session_cookie_holds_no_password_hash_or_anything_derived_from_them(app):
    make_user(app, "insp-a", "inspector")
    page = app.test_client()
    assert page_login(page, "insp-a").status_code == 302
    api = app.test_client()
    assert api_login(api, "insp-a", PASSWORD).status_code == 200
    user = user_row(app, "insp-a")
    for client in (page, api):
        contents = cookie_contents(app, client)
        assert f"{user.id}:{user.session_stamp}" in contents  # it names the user, randomly
        for secret in secrets_of(PASSWORD, user.password_hash):
            assert not shares_a_piece(contents, secret), secret


def test_a_new_password_gives_a_new_stamp(app):
    make_user(app, "insp-a", "inspector")
    before = user_row(app, "insp-a").session_stamp
    with app.app_context():
        session = get_session()
        user = session.exec(select(User).where(User.username == "insp-a")).one()
        data = users.PasswordSet(password="mat-khau-moi-2")
        users.set_password(session, actor_id=user.id, user=user, data=data)
    after = user_row(app, "insp-a").session_stamp
    assert after != before and len(after) >= 20


def reset_password(admin: FlaskClient, user_id: int, generated: list[str]) -> str:
    """Reset a password as the admin does; returns the new password, which the answer shows."""
    token = csrf_from(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    response = admin.post(f"/admin/users/{user_id}/password", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # not kept by the browser either
    assert generated and generated[-1] in response.get_data(as_text=True)
    return generated[-1]


def test_an_admin_reset_shows_the_password_once_and_never_through_the_cookie(app, generated):
    make_user(app, "admin1", "admin")
    target = make_user(app, "insp-a", "inspector")
    victim = app.test_client()
    page_login(victim, "insp-a")
    admin = app.test_client()
    page_login(admin, "admin1")
    shown = reset_password(admin, target.id, generated)
    assert len(generated) == 1
    assert shown not in cookie_contents(app, admin)
    assert shown not in admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert shown not in admin.get("/admin/users").get_data(as_text=True)
    assert victim.get("/api/v1/me").status_code == 401  # the old password's sessions ended
    assert page_login(app.test_client(), "insp-a", shown).status_code == 302


def test_a_generated_password_for_a_new_account_is_not_in_the_cookie(app, generated):
    make_user(app, "admin1", "admin")
    admin = app.test_client()
    page_login(admin, "admin1")
    token = csrf_from(admin.get("/admin/users/new").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "username": "insp-moi",
        "full_name": "Trần Văn Bình",
        "role": "inspector",
        "unit_code": "",
        "password": "",  # empty: the server generates one
    }
    response = admin.post("/admin/users/new", data=form)
    assert response.status_code == 200 and generated[0] in response.get_data(as_text=True)
    assert generated[0] not in cookie_contents(app, admin)
    assert generated[0] not in admin.get("/admin/users").get_data(as_text=True)
    assert page_login(app.test_client(), "insp-moi", generated[0]).status_code == 302


# Migration --------------------------------------------------------------------------------------


def migrate_to(engine: Any, revision: str, *, down: bool = False) -> None:
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture
def engine_at_0002(databases, tmp_path):
    url = databases.create_empty(tmp_path / "old")
    engine = make_engine(url)
    migrate_to(engine, "0002")
    yield engine
    engine.dispose()
    databases.drop(url)


def test_the_migration_gives_existing_users_random_stamps_and_sessions_a_last_seen(
    engine_at_0002,
):
    """With rows that point at the users (a login session), on both databases, both ways."""
    created = dt.datetime(2026, 12, 1, 8, 0)
    with engine_at_0002.begin() as connection:
        for n in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO users (id, username, full_name, position, role, password_hash, "
                    "active, created_at) VALUES (:id, :u, 'X', '', 'inspector', 'h', true, :at)"
                ),
                {"id": n, "u": f"insp-{n}", "at": created},
            )
        connection.execute(
            text("INSERT INTO login_sessions (id, user_id, created_at) VALUES ('s1', 1, :at)"),
            {"at": created},
        )
    migrate_to(engine_at_0002, "0003")
    with engine_at_0002.connect() as connection:
        stamps = connection.execute(text("SELECT session_stamp FROM users")).scalars().all()
        same = connection.execute(
            text("SELECT last_seen_at = created_at FROM login_sessions")
        ).scalar_one()
    assert len(set(stamps)) == 2 and all(len(s) >= 20 for s in stamps)
    assert same
    migrate_to(engine_at_0002, "0002", down=True)
    with engine_at_0002.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM login_sessions")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
