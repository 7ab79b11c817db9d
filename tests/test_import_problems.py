"""A refused CSV import is said at the top of the units page, where the admin looks after
sending the file, not only under the file field at the foot of a long list of units."""

from __future__ import annotations

import re
from html import unescape

from tests.factories import import_units_csv, make_unit


def test_a_refused_file_is_said_above_the_list_of_units(app, admin):
    for i in range(30):
        make_unit(app, f"xa-{i}", f"UBND xã {i}")
    response = import_units_csv(admin, b'code,name,kind\nninh-da,"UBND xa\n')  # an open quote
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    problem = re.search(
        r'<div class="flash flash-error import-problem" role="alert">(.*?)</div>', html, re.S
    )
    assert problem, "no problem box"
    text = unescape(re.sub(r"<[^>]+>", " ", problem.group(1)))
    assert "Tệp CSV chưa được nhập" in text and "dấu ngoặc kép" in text
    assert problem.start() < html.index("UBND xã 0") < html.index('id="import"')
    assert 'href="#import"' in problem.group(1)


def test_a_page_without_a_refusal_has_no_problem_box(app, admin):
    assert "import-problem" not in admin.get("/admin/units").get_data(as_text=True)
