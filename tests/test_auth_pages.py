"""Login, logout, own password and language on the pages."""

from sqlmodel import select

from inspection.db import get_session
from inspection.models import AuditEvent
from tests.factories import PASSWORD, ApiClient, csrf_from, make_user, page_login

NEW_PASSWORD = "mat-khau-moi"


def change_password(client, token: str, current: str):
    """Post the change-password form with the current password and a new one, typed twice."""
    form = {
        "csrf_token": token,
        "current": current,
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    return client.post("/password", data=form)


def test_login_page_then_home_then_logout(app):
    make_user(app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    client = app.test_client()
    response = page_login(client, "insp-a")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Lê Thị Hoa" in home
    token = csrf_from(home)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_the_form_again(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    response = page_login(client, "insp-a", "sai-mat-khau")
    assert response.status_code == 200 and 'name="password"' in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_follows_only_local_next(app):
    make_user(app, "lead-a", "lead")
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"username": "lead-a", "password": PASSWORD, "csrf_token": token}
    evil = client.post("/login?next=https://evil.example/x", data=form)
    assert evil.headers["Location"] == "/"
    client2 = app.test_client()
    token = csrf_from(client2.get("/login").get_data(as_text=True))
    form["csrf_token"] = token
    local = client2.post("/login?next=/plans/", data=form)
    assert local.headers["Location"] == "/plans/"


def test_login_without_csrf_token_is_refused(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    response = client.post("/login", data={"username": "insp-a", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_change_own_password(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    page_login(client, "insp-a")
    token = csrf_from(client.get("/password").get_data(as_text=True))
    wrong = change_password(client, token, "khong-dung")
    assert wrong.status_code == 400
    ok = change_password(client, token, PASSWORD)
    assert ok.status_code == 302
    fresh = app.test_client()
    assert page_login(fresh, "insp-a").status_code == 200  # the old password no longer works
    assert page_login(fresh, "insp-a", "mat-khau-moi").status_code == 302
    with app.app_context():
        actions = [e.action for e in get_session().exec(select(AuditEvent))]
        assert "user.password" in actions


def test_vietnamese_by_default_and_english_on_request(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Đăng nhập" in page
    client.get("/lang/en?next=/login")
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in english and "Log in" in english
    assert client.get("/lang/en?next=https://evil.example").headers["Location"] == "/"


def test_forbidden_page_is_a_page(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    page_login(client, "insp-a")
    response = client.get("/admin/users")
    assert response.status_code == 403 and response.mimetype == "text/html"


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app):
    make_user(app, "insp-a", "inspector")
    tablet, phone = app.test_client(), app.test_client()
    page_login(tablet, "insp-a")
    page_login(phone, "insp-a")
    token = csrf_from(phone.get("/password").get_data(as_text=True))
    changed = change_password(phone, token, PASSWORD)
    assert changed.status_code == 302
    assert phone.get("/").status_code == 200  # where it was changed, the session goes on
    assert tablet.get("/").status_code == 302  # the tablet must log in again
    assert tablet.get("/api/v1/me").status_code == 401


def test_form_errors_are_in_vietnamese(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    empty = client.post("/login", data={"csrf_token": token, "username": "", "password": ""})
    page = empty.get_data(as_text=True)
    assert page.count("Thông tin này là bắt buộc.") == 2 and "This field is required." not in page
    page_login(client, "insp-a")
    token = csrf_from(client.get("/password").get_data(as_text=True))
    form = {"csrf_token": token, "current": PASSWORD, "password": "ngan", "confirm": "khac"}
    short = client.post("/password", data=form)
    page = short.get_data(as_text=True)
    assert short.status_code == 400
    assert "Tối thiểu 8 ký tự." in page and "Mật khẩu nhập lại không khớp." in page
    assert "Field must be at least" not in page


def copy_of_session(app, client):
    """A second browser holding a copy of this one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_logging_out_ends_the_session_on_the_server_and_only_that_one(app):
    make_user(app, "insp-a", "inspector")
    tablet, phone = app.test_client(), app.test_client()
    page_login(tablet, "insp-a")
    page_login(phone, "insp-a")
    copy = copy_of_session(app, tablet)
    assert copy.get("/api/v1/me").status_code == 200  # the copy works while the session is open
    token = csrf_from(tablet.get("/").get_data(as_text=True))
    assert tablet.post("/logout", data={"csrf_token": token}).status_code == 302
    assert copy.get("/api/v1/me").status_code == 401
    assert copy.get("/").status_code == 302  # to the login page
    assert phone.get("/api/v1/me").status_code == 200  # the other device stays logged in


def test_the_api_logout_ends_the_session_too(app):
    make_user(app, "insp-a", "inspector")
    api = ApiClient(app, "insp-a")
    copy = copy_of_session(app, api.client)
    assert api.post("/api/v1/logout").status_code == 200
    assert copy.get("/api/v1/me").status_code == 401


def test_logging_in_again_ends_the_browsers_earlier_session(app):
    make_user(app, "insp-a", "inspector")
    make_user(app, "insp-b", "inspector")
    client = app.test_client()
    page_login(client, "insp-a")
    earlier = copy_of_session(app, client)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "insp-b", "password": PASSWORD, "csrf_token": token})
    assert client.get("/api/v1/me").get_json()["user"]["username"] == "insp-b"
    assert earlier.get("/api/v1/me").status_code == 401


def test_logging_out_again_from_a_second_tab_goes_back_to_login(app):
    make_user(app, "insp-a", "inspector")
    client = app.test_client()
    page_login(client, "insp-a")
    token = csrf_from(client.get("/").get_data(as_text=True))  # both tabs show this page
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    again = client.post("/logout", data={"csrf_token": token})
    assert again.status_code == 302 and again.headers["Location"] == "/login"
