"""Every page each role reaches, on a phone (390×844), a portrait tablet (768×1024) and a laptop
(1280×800), in Vietnamese: nothing scrolls sideways, every control is a touch target, no English
string of the catalog and no ISO date is left on screen.

The rules the checks apply (the same for every page):
- sideways: the document is no wider than the window, and no element scrolls sideways inside it
  (a table in an `overflow-x: auto` box would hide the page's overflow, not remove it);
- touch targets: every visible a, button, input, select, textarea and summary measures at least
  44 px in its smaller dimension, measured on what a finger hits: a control inside its <label>
  is hit through the label (a checkbox, a file input under its styled label). A link inside
  running text (displayed inline, with words of its block outside it) is exempt, as WCAG 2.5.8
  exempts inline targets;
- untranslated: no visible text node, placeholder or button value equals an English msgid of
  the catalog whose Vietnamese differs (a msgid with %(name)s places matches any text there);
- dates: no visible text or field value holds YYYY-MM-DD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from inspection.db import get_session
from inspection.models import Notice
from tests.browser.conftest import login, open_context
from tests.factories import PASSWORD, ApiClient, make_plan, make_unit, make_user, make_visit
from tests.notice_helpers import approved_visit

CATALOG = Path(__file__).resolve().parents[2] / "inspection/translations/vi/LC_MESSAGES"
SIZES = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1280, 800)}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
PLACE = re.compile(r"%\(\w+\)[sd]")
MIN_TARGET = 44
SUBPIXEL = 0.5  # layout rounds to device pixels: 43.6 px is a 44 px target


def english_msgids() -> tuple[set[str], list[tuple[str, re.Pattern[str]]]]:
    """The catalog's English strings that Vietnamese says otherwise: exact texts, and patterns
    for those with %(name)s places (only with an English word of 3 letters outside them, so
    that "%(a)s / %(b)s" matches nothing)."""
    with (CATALOG / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    exact: set[str] = set()
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for message in catalog:
        english, vietnamese = message.id, message.string
        if not english or not isinstance(english, str) or english.strip() == vietnamese.strip():
            continue
        if not PLACE.search(english):
            exact.add(english.replace("%%", "%").strip())
        elif re.search(r"[A-Za-z]{3}", PLACE.sub("", english)):
            parts = [re.escape(p.replace("%%", "%")) for p in PLACE.split(english.strip())]
            patterns.append((english, re.compile("^" + ".+".join(parts) + "$", re.S)))
    return exact, patterns


EXACT, PATTERNS = english_msgids()

# Run in the page: every finding of the rules above except the catalog's (done in Python).
MEASURE = """
() => {
  const seen = (el) => {
    for (let node = el, child = null; node; child = node, node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === "none" || style.visibility === "hidden") return false;
      // what a closed <details> holds besides its summary is not on screen
      if (node.tagName === "DETAILS" && !node.open && child && child.tagName !== "SUMMARY") {
        return false;
      }
    }
    const box = el.getBoundingClientRect();
    return box.width > 1 && box.height > 1;  // a 1 px box is .visually-hidden: not seen
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
    const name = el.name ? `[name=${el.name}]` : "";
    const classes = typeof el.className === "string" && el.className
      ? "." + el.className.split(" ").join(".") : "";
    return `${el.tagName.toLowerCase()}${name}${classes} "${text.slice(0, 40)}"`;
  };
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && getComputedStyle(node).display.startsWith("inline")) node = node.parentElement;
    return node;
  };
  const inRunningText = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    const block = blockOf(el);
    return !!block && block.innerText.trim().length > el.innerText.trim().length;
  };
  const small = [];
  for (const el of document.querySelectorAll("a, button, input, select, textarea, summary")) {
    if (el.type === "hidden" || !seen(el) || inRunningText(el)) continue;
    const label = el.closest("label");
    const hit = label && seen(label) ? label : el;
    const box = hit.getBoundingClientRect();
    const size = Math.min(box.width, box.height);
    if (size < %(least)s) {
      small.push(`${describe(el)}: ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  const inner = [];
  for (const el of document.body.querySelectorAll("*")) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1
        && seen(el)) {
      inner.push(`${describe(el)}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    if (text && seen(node.parentElement)) texts.push(text);
  }
  for (const el of document.querySelectorAll("input, textarea, select, button")) {
    if (!seen(el)) continue;
    if (el.placeholder) texts.push(el.placeholder.trim());
    if (el.tagName === "INPUT" && ["submit", "button"].includes(el.type)) texts.push(el.value);
  }
  const values = [...document.querySelectorAll("input, textarea")]
    .filter((el) => el.type !== "hidden" && el.type !== "password" && seen(el))
    .map((el) => `${describe(el)} = ${el.value}`);
  return {
    width: document.scrollingElement.scrollWidth, window: window.innerWidth,
    small, inner, texts, values, shown: document.body.innerText,
  };
}
""".replace("%(least)s", str(MIN_TARGET - SUBPIXEL))


@dataclass
class Findings:
    page: str
    sideways: list[str]
    small: list[str]
    english: list[str]
    iso_dates: list[str]

    def problems(self) -> list[str]:
        found = []
        for name in ("sideways", "small", "english", "iso_dates"):
            found += [f"{self.page}: {name}: {what}" for what in getattr(self, name)]
        return found


def untranslated(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        if text in EXACT:
            found.append(text)
        else:
            found += [f"{text!r} ~ {english!r}" for english, p in PATTERNS if p.match(text)]
    return sorted(set(found))


def check(page, name: str) -> Findings:
    measured = page.evaluate(MEASURE)
    sideways = list(measured["inner"])
    if measured["width"] > measured["window"]:
        sideways.insert(0, f"document {measured['width']} px wide > window {measured['window']}")
    dates = [m.group() for m in ISO_DATE.finditer(measured["shown"])]
    dates += [value for value in measured["values"] if ISO_DATE.search(value.split(" = ")[-1])]
    return Findings(name, sideways, measured["small"], untranslated(measured["texts"]), dates)


@dataclass(frozen=True)
class World:
    plan_id: int
    visit_id: int
    edited_user_id: int
    approved_id: int  # a visit approved, its notice in draft
    notice_id: int  # the notice of a third visit
    notice_token: str  # its verification token
    bare_plan_id: int  # a plan of the lead's with no visit yet


@pytest.fixture
def world(live_app) -> World:
    """One of everything: a unit with its account, a lead's plan with a visit, an inspector."""
    make_unit(live_app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    make_user(live_app, "admin-a", "admin", full_name="Phạm Quản Trị")
    lead = make_user(live_app, "lead-a", "lead", full_name="Trần Văn Bình")
    make_user(live_app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    unit_user = make_user(
        live_app, "unit-a", "unit", unit_code="ninh-xuan", full_name="Nguyễn Thị Cán Bộ"
    )
    plan = make_plan(live_app, lead)
    visit = make_visit(live_app, plan, ["insp-a"], unit_code="ninh-xuan")
    # A failed item with its proposed deficiency, one recorded, a raised consistency warning.
    inspector = ApiClient(live_app, "insp-a")
    answers = f"/api/v1/visits/{visit.id}/answers"
    for key, value in (
        ("niem-yet-qr", "no"),
        ("tiet-kiem", "no"),
        ("co-ho-so-tre-han", "no"),
        ("ty-le-dung-han", {"num": 95, "den": 100}),
    ):
        assert inspector.put(f"{answers}/{key}", json={"value": value}).status_code == 200
    recorded = inspector.post(
        f"/api/v1/visits/{visit.id}/findings",
        json={"item_key": "tiet-kiem", "text": "Chưa ban hành Chương trình", "remedy": "Ban hành"},
    )
    assert recorded.status_code == 201
    approved = make_visit(
        live_app, plan, ["insp-a"], unit_code="ninh-xuan", scheduled_on="2024-07-01"
    )
    approved_visit(live_app, approved)
    issued = make_visit(
        live_app, plan, ["insp-a"], unit_code="ninh-xuan", scheduled_on="2024-07-02"
    )
    lead_api = approved_visit(live_app, issued)
    notice = lead_api.post(f"/api/v1/visits/{issued.id}/notice", json={})
    assert notice.status_code == 201, notice.get_json()
    return World(
        plan_id=plan.id,
        visit_id=visit.id,
        edited_user_id=unit_user.id,
        approved_id=approved.id,
        notice_id=notice.get_json()["id"],
        notice_token=token_of_notice(live_app, notice.get_json()["id"]),
        bare_plan_id=make_plan(live_app, lead, number="23/KH-UBND").id,
    )


def token_of_notice(app, notice_id: int) -> str:
    with app.app_context():
        return get_session().get(Notice, notice_id).token


def pages_of(role: str, world: World) -> dict[str, str]:
    """Every page the role reaches from its menu, by name."""
    common = {"home": "/", "change password": "/password"}
    plan, visit = f"/plans/{world.plan_id}", f"/visits/{world.visit_id}"
    review = {"deficiencies": f"{visit}/findings", "review": f"{visit}/review"}
    record = {"on-site record": f"{visit}/record"}  # the visit in progress, with answers
    results = {
        "results": f"{plan}/overview",
        # one area's column added to the table, the visits in progress only
        "results filtered": f"{plan}/overview?status=in_progress&area=tthc-mot-cua",
        "plan report": f"{plan}/report",  # a notice of the plan is issued: the report itself
        # a plan with no visit: empty charts, and why there is no report yet
        "results of no visit": f"/plans/{world.bare_plan_id}/overview",
        "plan report before a notice": f"/plans/{world.bare_plan_id}/report",
    }
    notice = {"notice": f"/notices/{world.notice_id}"}
    draft = f"/visits/{world.approved_id}/notice"
    library = {"checklists": "/checklists/", "checklist outline": "/checklists/cchc-xa/1"}
    if role == "admin":
        return {
            **common,
            "plans": "/plans/",
            "plan": plan,
            "visit": visit,
            **review,
            **record,
            **results,
            **library,
            "users": "/admin/users",
            "new user": "/admin/users/new",
            "edit user": f"/admin/users/{world.edited_user_id}",
            "units": "/admin/units",
            "agency": "/admin/agency",
            **notice,
        }
    if role == "lead":
        return {
            **common,
            "plans": "/plans/",
            "new plan": "/plans/new",
            "plan": plan,
            "new visit": f"{plan}/visits/new",
            "edit visit": f"{plan}/visits/{world.visit_id}/edit",
            "visit": visit,
            **review,
            "review item": f"{visit}/review/items/ty-le-dung-han",
            **record,
            **results,
            **library,
            "notice draft": draft,
            "notice preview": f"{draft}/preview",
            **notice,
            "notice correction": f"/notices/{world.notice_id}/supersede",
        }
    if role == "inspector":
        return {**common, "visit": visit, **review, **record, **notice}
    return {**common, "our notices": "/notices", **notice, "verification": verify_path(world)}


def verify_path(world: World) -> str:
    """The public page a notice's QR code leads to (its token, read from the database)."""
    return f"/verify/{world.notice_token}"


ROLES = {"admin": "admin-a", "lead": "lead-a", "inspector": "insp-a", "unit": "unit-a"}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_is_touchable_and_speaks_vietnamese(
    browser, server, world, requests_log, role, size
):
    context = open_context(browser, SIZES[size], log=requests_log)
    page = context.new_page()
    problems: list[str] = []
    if role == "admin":  # the login page, once per size
        page.goto(f"{server.url}/login", wait_until="load")
        problems += check(page, "login").problems()
    login(page, server.url, ROLES[role], PASSWORD)
    for name, path in pages_of(role, world).items():
        response = page.goto(f"{server.url}{path}", wait_until="load")
        assert response is not None and response.status == 200, f"{name}: {path}"
        problems += check(page, name).problems()
    context.close()
    assert problems == []
