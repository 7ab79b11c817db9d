"""Scripts and stylesheets travel minified (inspection/assets.py); other files as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "inspection" / "static"


@pytest.mark.parametrize(
    ("name", "mimetype", "kept"),
    [
        ("js/visit.js", "text/javascript", '.addEventListener("submit"'),
        ("js/camera.js", "text/javascript", "createImageBitmap"),
        ("css/visit.css", "text/css", ".viewer-stage"),
    ],
)
def test_a_script_or_stylesheet_is_served_without_its_comments(client, name, mimetype, kept):
    source = (STATIC / name).read_text(encoding="utf-8")
    response = client.get(f"/static/{name}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == mimetype
    assert kept in body  # the code itself is all there
    assert len(body) < 0.85 * len(source.encode())  # comments and indentation gone
    first_comment = source.splitlines()[0].strip("/* ")  # every file here opens with one
    assert first_comment and first_comment not in body


def test_a_minified_file_answers_a_conditional_request(client):
    first = client.get("/static/js/photos.js")
    again = client.get("/static/js/photos.js", headers={"If-None-Match": first.headers["ETag"]})
    assert first.headers["ETag"] and again.status_code == 304 and again.data == b""


def test_other_static_files_are_sent_as_they_are(client):
    response = client.get("/static/icons/icon.svg")
    assert response.data == (STATIC / "icons" / "icon.svg").read_bytes()
    response.close()


def test_a_missing_or_outside_file_is_a_404(client):
    assert client.get("/static/js/none.js").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
