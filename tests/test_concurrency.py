"""Several inspectors saving at once on one visit: every write lands, none is lost, no 500."""

from concurrent.futures import ThreadPoolExecutor

from inspection.db import get_session
from inspection.models import Visit
from tests.builders import iter_items
from tests.factories import ApiClient, make_unit, make_user, make_visit


def test_parallel_answers_on_different_items_all_land(app, plan):
    make_unit(app)
    for name in ("insp-b", "insp-c"):
        make_user(app, name, "inspector")
    visit = make_visit(app, plan, ["insp-a", "insp-b", "insp-c"])
    template = app.extensions["inspection.library"].get("cchc-xa").document
    keys = [i["key"] for _, i in iter_items(template) if i["type"] == "yes_no"][:24]
    clients = [ApiClient(app, name) for name in ("insp-a", "insp-b", "insp-c")]

    def save(n: int) -> int:
        client = clients[n % 3]
        url = f"/api/v1/visits/{visit.id}/answers/{keys[n]}"
        return client.put(url, json={"value": "yes", "base_revision": 0}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(save, range(len(keys))))
    assert statuses == [200] * len(keys)
    with app.app_context():
        assert get_session().get(Visit, visit.id).revision == len(keys)
    score = clients[0].get(f"/api/v1/visits/{visit.id}/score").get_json()
    assert score["answered"] == len(keys)
