"""The templates' url_for keeps what it built (inspection/routing.py, KnownUrls): a kept
address must be the one url_for would build for the request at hand, whatever was asked before."""

from __future__ import annotations

from flask import url_for

from inspection.routing import KnownUrls


def test_the_same_address_is_built_once_and_given_again(app):
    known = KnownUrls()
    with app.test_request_context("/"):
        first = known("findings.view", visit_id=7)
        assert first == url_for("findings.view", visit_id=7) == "/visits/7/findings"
        assert known("findings.view", visit_id=7) is first  # kept, not built again
        assert known("findings.view", visit_id=8) == "/visits/8/findings"
        assert known("static", filename="css/app.css") == "/static/css/app.css"


def test_an_app_served_under_a_prefix_gets_its_own_addresses(app):
    known = KnownUrls()
    with app.test_request_context("/"):
        assert known("visits.view", visit_id=1) == "/visits/1"
    with app.test_request_context("/", base_url="http://localhost/cchc/"):
        assert known("visits.view", visit_id=1) == url_for("visits.view", visit_id=1)
        assert known("visits.view", visit_id=1) == "/cchc/visits/1"


def test_external_addresses_follow_the_request_host(app):
    known = KnownUrls()
    with app.test_request_context("/", base_url="http://a.example"):
        assert known("main.index", _external=True) == "http://a.example/"
    with app.test_request_context("/", base_url="http://b.example"):
        assert known("main.index", _external=True) == "http://b.example/"


def test_past_its_limit_it_starts_again(app):
    known = KnownUrls(limit=3)
    with app.test_request_context("/"):
        for n in range(1, 8):
            assert known("visits.view", visit_id=n) == f"/visits/{n}"
        assert len(known.built) <= 3
        assert known("visits.view", visit_id=1) == "/visits/1"


def test_every_page_uses_it(app):
    assert isinstance(app.jinja_env.globals["url_for"], KnownUrls)


def test_long_texts_and_odd_values_are_built_each_time(app):
    known = KnownUrls()
    with app.test_request_context("/"):
        far = "/visits/1?" + "x" * 500  # a `next=` path a visitor chose
        assert known("main.set_language", code="en", next=far) == url_for(
            "main.set_language", code="en", next=far
        )
        assert known("main.index", flag=True) == "/?flag=True"
        assert known("main.index", flag=1) == "/?flag=1"  # equal keys, other URLs
        assert known("main.index", tags=["a", "b"]) == url_for("main.index", tags=["a", "b"])
        assert all(len(repr(key)) < 400 for key in known.built)
