"""Several inspectors saving at once on one visit: every write lands, none is lost, no 500."""

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from inspection.db import get_session
from inspection.models import Photo, PhotoLink, Visit
from tests.builders import iter_items
from tests.factories import (
    PASSWORD,
    ApiClient,
    make_unit,
    make_user,
    make_visit,
    photo_bytes,
    photo_folders,
    rows,
)
from tests.test_serving import server_env, start_together


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


# Each process builds the app on the test's database, logs in, waits at the gate, then sends the
# photo its number names (argv: its ready file, the start file, the password, the visit, then the
# JSON list of [file, item_key] to pick from).
UPLOAD = """
import io, json, sys, time, uuid
from pathlib import Path
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart
from inspection import create_app
ready, go, password, visit_id, plan = Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:6]
path, item_key = json.loads(plan)[int(ready.name.removeprefix("ready-"))]
data = Path(path).read_bytes()
app = create_app()
client = app.test_client()
token = client.post("/api/v1/login", json={"username": "insp-a", "password": password}).get_json()
fields = {"client_id": str(uuid.uuid4()), "item_key": item_key,
          "file": FileStorage(io.BytesIO(data), "anh.jpg", content_type="image/jpeg")}
boundary, body = encode_multipart(fields)
ready.touch()
while not go.exists():
    time.sleep(0.0005)
response = client.post(f"/api/v1/visits/{visit_id}/photos", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}",
                       headers={"X-CSRFToken": token["csrf_token"]})
print("RESULT " + json.dumps({"status": response.status_code, "body": response.get_json()}))
app.extensions["inspection.engine"].dispose()
"""


@pytest.mark.slow
def test_processes_sending_photos_at_once_store_each_content_once(app, app_config, visit, tmp_path):
    """Three tablets send the same photo for three items while three others send their own,
    all at the same instant: four photos, the shared one linked to its three items, one folder
    each and nothing else on disk."""
    shared = photo_bytes(100)
    own = [photo_bytes(101), photo_bytes(102), photo_bytes(103)]
    files = tmp_path / "files"
    files.mkdir()
    plan = []
    for n, (data, item_key) in enumerate(
        [(shared, "niem-yet-qr"), (shared, "niem-yet-hotline"), (shared, "niem-yet-day-du")]
        + [(data, "niem-yet-qr") for data in own]
    ):
        path = files / f"{n}.jpg"
        path.write_bytes(data)
        plan.append([str(path), item_key])
    env = server_env(app_config, INSPECTION_LOG_LEVEL="WARNING")
    runs = start_together(
        UPLOAD, len(plan), tmp_path / "gate", env, PASSWORD, str(visit.id), json.dumps(plan)
    )
    for returncode, _out, err in runs:
        assert returncode == 0 and "Traceback" not in err, err
    results = [
        json.loads(line.removeprefix("RESULT "))
        for _, out, _ in runs
        for line in out.splitlines()
        if line.startswith("RESULT ")
    ]
    assert len(results) == len(plan)
    shared_sha = hashlib.sha256(shared).hexdigest()
    of_shared = sorted(
        (r["status"], r["body"]["result"]) for r in results if r["body"]["sha256"] == shared_sha
    )
    assert of_shared == [(200, "existing"), (200, "existing"), (201, "created")], results
    assert sorted(r["status"] for r in results if r["body"]["sha256"] != shared_sha) == [201] * 3

    photos = {p.sha256: p for p in rows(app, Photo)}
    assert set(photos) == {hashlib.sha256(d).hexdigest() for d in [shared, *own]}
    links = sorted((link.photo_id, link.item_key) for link in rows(app, PhotoLink))
    shared_id = photos[shared_sha].id
    assert [key for pid, key in links if pid == shared_id] == [
        "niem-yet-day-du",
        "niem-yet-hotline",
        "niem-yet-qr",
    ]
    assert len(links) == 6
    # One folder per photo, each named by its row, holding the bytes sent; no leftover.
    uploads = Path(app_config["UPLOAD_DIR"])
    assert sorted(photo_folders(app)) == sorted(
        uploads / str(visit.id) / p.folder for p in photos.values()
    )
    for sha, photo in photos.items():
        original = uploads / str(visit.id) / photo.folder / "original.jpg"
        assert hashlib.sha256(original.read_bytes()).hexdigest() == sha
    with app.app_context():
        assert get_session().get(Visit, visit.id).status == "in_progress"
