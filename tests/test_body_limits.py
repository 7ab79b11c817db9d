"""Request bodies are capped before anything parses them (inspection/body_limits.py): a 413 on
every route, logged in or not, with a Content-Length or chunked, as JSON on the API and as a page
in Vietnamese elsewhere; what real requests send still goes through."""

from __future__ import annotations

import contextlib
import http.client
import io
import itertools
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from sqlmodel import select
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from inspection import auth, body_limits, create_app
from inspection.config import ConfigError
from inspection.db import get_session
from inspection.models import Answer
from inspection.security import csrf
from tests.factories import (
    PASSWORD,
    ApiClient,
    make_user,
    new_client_id,
)
from tests.test_serving import (
    REQUEST_TIMEOUT_S,
    free_port,
    gunicorn_command,
    server_env,
    serving,
)
from tests.test_shipped_forms import best_answers

MB = 1024 * 1024
EIGHT_MB = 8 * MB
CAP = 2 * MB  # the default, INSPECTION_MAX_BODY_KB=2048
PAGE_MESSAGE = "Dữ liệu gửi lên quá lớn (vượt quá 2 MB): chưa có gì được lưu."
LOGIN = b'{"username": "insp-a", "password": "%s"}' % PASSWORD.encode()

ROUTES = [
    ("POST", "/api/v1/login", "application/json"),
    ("POST", "/login", "application/x-www-form-urlencoded"),
    ("PUT", "/api/v1/visits/1/answers/kh-cchc", "application/json"),
    ("POST", "/api/v1/visits/1/answers", "application/json"),
    ("POST", "/api/v1/forms", "application/json"),
    ("POST", "/checklists/upload", "multipart/form-data; boundary=x"),
    ("POST", "/admin/units/import", "multipart/form-data; boundary=x"),
    ("POST", "/visits/1/items/kh-cchc", "application/x-www-form-urlencoded"),
    ("GET", "/", "text/plain"),
    ("POST", "/no-such-page", "text/plain"),
]


class Counting(io.BytesIO):
    """A request body that counts the bytes the server read of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data

    def readinto(self, buffer: Any) -> int:  # noqa: ANN401  (a writable buffer)
        count = super().readinto(buffer)
        self.taken += count
        return count

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.taken += len(data)
        return data


def chunked_request(
    path: str, body: io.BytesIO, *, method: str = "POST", content_type: str = "application/json"
) -> Request:
    """A request whose body comes chunked, with no Content-Length, as werkzeug's server and
    gunicorn hand it to the app (`wsgi.input_terminated`: the server ends the stream)."""
    environ = EnvironBuilder(
        path=path, method=method, input_stream=body, content_type=content_type
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    return Request(environ)


def assert_refused(response: Any, path: str, limit_kb: int = 2048) -> None:  # noqa: ANN401
    assert response.status_code == 413
    if path.startswith("/api/"):
        body = response.get_json()
        assert body["error"]["code"] == "too_large"
        assert f"over the limit of {limit_kb} KB" in body["error"]["message"]
        assert body["max_bytes"] == limit_kb * 1024
    else:
        assert response.mimetype == "text/html"
        assert PAGE_MESSAGE in response.get_data(as_text=True)


# Refused before anything reads the body ---------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "content_type"), ROUTES)
def test_an_anonymous_8_mb_body_is_refused_unread(app, method, path, content_type):
    body = Counting(b"x" * EIGHT_MB)
    response = app.test_client().open(
        path, method=method, input_stream=body, content_type=content_type
    )
    assert_refused(response, path)
    assert body.taken == 0


@pytest.mark.parametrize(("method", "path", "content_type"), ROUTES)
def test_an_anonymous_8_mb_chunked_body_is_refused_after_the_cap(app, method, path, content_type):
    body = Counting(b"x" * EIGHT_MB)
    request_ = chunked_request(path, body, method=method, content_type=content_type)
    assert_refused(app.test_client().open(request_), path)
    assert body.taken == CAP + 1  # one byte past the cap tells; the rest is never read


def stored(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return {a.item_key: a.value for a in get_session().exec(select(Answer))}


def test_a_logged_in_write_over_the_cap_is_refused_and_stores_nothing(app, visit):
    api = ApiClient(app, "insp-a")
    note = "Ghi chú rất dài " * (EIGHT_MB // 16)
    response = api.put(
        f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "yes", "note": note}
    )
    assert_refused(response, "/api/")
    assert stored(app) == {}


def test_the_cap_is_exact(app, visit):
    client = app.test_client()
    at_cap = client.post("/api/v1/login", data=LOGIN.ljust(CAP), content_type="application/json")
    assert at_cap.status_code == 200  # JSON may end in spaces: the whole body was read
    over = client.post("/api/v1/login", data=LOGIN.ljust(CAP + 1), content_type="application/json")
    assert_refused(over, "/api/")


def test_a_chunked_body_under_the_cap_is_read_once_and_works(app, visit):
    api = ApiClient(app, "insp-a")
    login = api.client.open(chunked_request("/api/v1/login", io.BytesIO(LOGIN)))
    assert login.status_code == 200
    token = login.get_json()["csrf_token"]
    write = chunked_request(
        f"/api/v1/visits/{visit.id}/answers/kh-cchc", io.BytesIO(b'{"value": "no"}'), method="PUT"
    )
    write.environ["HTTP_X_CSRFTOKEN"] = token
    response = api.client.open(write)
    assert response.status_code == 200, response.get_json()
    assert stored(app) == {"kh-cchc": "no"}


def test_the_largest_batch_with_long_notes_goes_through(app, visit):
    """MAX_BATCH answers, each with a 1000-character Vietnamese note (~770 KB of JSON)."""
    api = ApiClient(app, "insp-a")
    template = app.extensions["inspection.library"].get("cchc-xa").document
    values = itertools.cycle(best_answers(template).items())
    note = ("Bộ phận một cửa niêm yết đầy đủ thủ tục hành chính, còn thiếu quy trình. " * 14)[:1000]
    entries = [
        {
            "item_key": key,
            "value": value,
            "note": note,
            "client_id": new_client_id(),
            "answered_at": "2024-06-28T09:15:00+07:00",
        }
        for key, value in itertools.islice(values, 500)
    ]
    size = len(app.json.dumps({"answers": entries}).encode())  # as the test client sends it
    assert 700 * 1024 < size < CAP
    response = api.post(f"/api/v1/visits/{visit.id}/answers", json={"answers": entries})
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["results"]) == 500
    assert len(stored(app)) == len(best_answers(template))


# Configuration, and the photo routes to come ----------------------------------------------------


def test_the_cap_is_configurable(app_config, monkeypatch):
    monkeypatch.setenv("INSPECTION_MAX_BODY_KB", "64")
    small = create_app(app_config)
    try:
        response = small.test_client().post(
            "/api/v1/login", data=LOGIN.ljust(64 * 1024 + 1), content_type="application/json"
        )
        assert_refused(response, "/api/", limit_kb=64)
    finally:
        small.extensions["inspection.engine"].dispose()


@pytest.mark.parametrize("value", [0, -1, 1.5, "2 MB", True, None])
def test_a_cap_that_is_not_a_whole_number_of_kb_is_refused_at_start(app_config, value):
    with pytest.raises(ConfigError, match="INSPECTION_MAX_BODY_KB"):
        create_app({**app_config, "MAX_BODY_KB": value})


@pytest.fixture
def photo_app(app_config) -> Iterator[Flask]:
    """An app with a route that opts into the upload limit, as the photo upload will."""
    photo_app = create_app({**app_config, "MAX_UPLOAD_MB": 10})

    @body_limits.takes_uploads
    def photo() -> dict[str, int]:
        return {"received": len(request.get_data())}

    photo_app.add_url_rule("/photo", "photo", csrf.exempt(photo), methods=["POST"])
    auth.ACCESS["photo"] = auth.PUBLIC
    yield photo_app
    del auth.ACCESS["photo"]
    photo_app.extensions["inspection.engine"].dispose()


def test_a_route_can_take_uploads_up_to_the_upload_limit(photo_app):
    client = photo_app.test_client()
    assert client.post("/photo", data=b"x" * EIGHT_MB).get_json() == {"received": EIGHT_MB}
    chunked = client.open(chunked_request("/photo", io.BytesIO(b"x" * EIGHT_MB)))
    assert chunked.get_json() == {"received": EIGHT_MB}
    too_large = client.post("/photo", data=b"x" * (11 * MB))
    assert too_large.status_code == 413
    assert client.post("/api/v1/login", data=b"x" * EIGHT_MB).status_code == 413


# Real servers ---------------------------------------------------------------------------------


def raw_request(port: int, path: str, body: bytes, *, chunked: bool) -> tuple[int, bytes]:
    """POST `body` as the client would, reading the answer while still sending: a server that
    refuses early answers before the body is through, and may close without reading the rest."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT_S)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
    sock.sendall(head.encode())

    def send() -> None:
        try:
            for start in range(0, len(body), 64 * 1024):
                piece = body[start : start + 64 * 1024]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed without reading the rest

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        return response.status, response.read()
    finally:
        response.close()
        with contextlib.suppress(OSError):  # the server may have closed first
            sock.shutdown(socket.SHUT_RDWR)  # wakes the sender if it is still sending
        sock.close()
        sender.join(timeout=REQUEST_TIMEOUT_S)


def assert_server_caps_bodies(port: int) -> None:
    for chunked in (False, True):
        status, body = raw_request(port, "/api/v1/login", b"x" * EIGHT_MB, chunked=chunked)
        assert (status, b'"code":"too_large"' in body) == (413, True), (chunked, status, body)
        status, body = raw_request(port, "/api/v1/login", LOGIN, chunked=chunked)
        assert status == 200 and b'"csrf_token"' in body, (chunked, status, body)


@pytest.mark.slow
def test_werkzeugs_server_caps_bodies_with_a_length_or_chunked(app):
    make_user(app, "insp-a", "inspector")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert_server_caps_bodies(server.server_port)
    finally:
        server.shutdown()
        thread.join(timeout=REQUEST_TIMEOUT_S)
        server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("server", ["waitress", "gunicorn"])
def test_a_real_server_caps_bodies_with_a_length_or_chunked(app, app_config, tmp_path, server):
    make_user(app, "insp-a", "inspector")
    app.extensions["inspection.engine"].dispose()  # the server owns the database from here
    port = free_port()
    if server == "waitress":
        command, env = [sys.executable, "app.py"], server_env(app_config, INSPECTION_PORT=str(port))
    else:
        command, env = gunicorn_command(port, 1), server_env(app_config)
    log = tmp_path / "server.log"
    with serving(command, env, log, f"http://127.0.0.1:{port}"):
        assert_server_caps_bodies(port)
        if server == "waitress":  # refuses itself what no route takes, before collecting it
            status, body = raw_request(port, "/api/v1/login", b"x" * (26 * MB), chunked=False)
            assert status == 413 and b"too_large" not in body, (status, body)
    assert log.read_text().count("inspection.access: POST /api/v1/login 413 ") == 2
