"""The photo pipeline (inspection/photos.py) on generated 12 MP camera JPEGs, measured in one run
against two baselines on the same files:

- (a) the naive Pillow pipeline: open → ImageOps.exif_transpose → LANCZOS display copy and
  thumbnail from the full image (encoded and hashed as the pipeline does: only the method differs);
- (b) a plain full decode of the file (`Image.open(...).load()`), the floor of a proof by decoding.

Times are medians over every photo and repetition, the three interleaved so that the shared cores
treat them alike. Peak memory is the peak RSS of a fresh child process per photo (the child's
VmHWM from /proc, else `resource.getrusage`: tracemalloc misses Pillow's C buffers), printed with
that of a child that only imports, to show what the photo itself costs.

Last, one ~3 MB upload over HTTP end to end (issue 15) against the in-process pipeline: a temp
instance seeded with the demo data (`seed-demo`), served by gunicorn (one sync worker) on
127.0.0.1, a demo inspector logged in; the same photo posted UPLOADS times to
POST /api/v1/visits/<id>/photos, each copy with its own bytes (a counter in its EXIF description:
the same bytes again would be linked, not processed), each response checked (201, created, the
file's SHA-256). Each upload is timed from connect to the last byte of the answer, interleaved with
`photos.process` of the same bytes in this process; the medians and their ratio come from one run.
"""

from __future__ import annotations

import hashlib
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageOps  # noqa: E402

from inspection import photos  # noqa: E402

# What only the HTTP upload needs (the app, the database, the HTTP client) is imported in its
# functions: the peak-RSS children run this file, and their "imports" baseline must stay what
# the pipeline itself needs.
if TYPE_CHECKING:
    import http.client

PHOTOS = int(os.environ.get("BENCH_PHOTOS", "4"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
LIMIT = 25 * 1024 * 1024
TARGET_VS_NAIVE = 2.5  # the pipeline at least this many times faster than the naive one
TARGET_VS_DECODE = 2.0  # and at most this many times a plain full decode
TARGET_RSS_MB = 80
UPLOADS = int(os.environ.get("BENCH_UPLOADS", "7"))
UPLOAD_QUALITY = 93  # the scene of camera_photo at this quality is ~3 MB (3.1 MB, 3.0 MiB)
UPLOAD_USER = "thanhvien1"  # a demo inspector, assigned to every demo visit
UPLOAD_MARK = "bench upload %04d"  # the EXIF description; fixed width, so copies differ in place


def camera_photo(seed: int, *, quality: int = 90, description: str | None = None) -> bytes:
    """A 4000×3000 scene stored as a tablet held upright stores it (turned, orientation 6): a
    gradient, sensor-like noise and a notice board of "text" lines, ~2.6 MB at quality 90, about
    the size a tablet camera writes."""
    width, height = 4000, 3000
    noise = Image.effect_noise((width // 2, height // 2), 24).resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height))
    scene = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    draw = ImageDraw.Draw(scene)
    draw.rectangle((600, 400, 3400, 2600), fill=(235, 235, 225))
    for row in range(40):
        y = 480 + row * 52
        for col in range(12):
            x = 700 + col * 220 + (seed * 37 + row * 11) % 60
            draw.rectangle((x, y, x + 150, y + 22), fill=(30, 30, 40))
    exif = Image.Exif()
    exif[photos.TAG_ORIENTATION] = 6
    if description is not None:
        exif[0x010E] = description  # ImageDescription
    buffer = io.BytesIO()
    scene.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def pipeline(data: bytes) -> None:
    photos.process(data, max_bytes=LIMIT)


def naive(data: bytes) -> None:
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    for side in (photos.DISPLAY_LONG_SIDE, photos.THUMBNAIL_LONG_SIDE):
        scale = side / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        image.resize(size, Image.Resampling.LANCZOS).save(io.BytesIO(), "JPEG", quality=85)
    hashlib.sha256(data).hexdigest()


def full_decode(data: bytes) -> None:
    Image.open(io.BytesIO(data)).load()


def imports_only(data: bytes) -> None:
    pass


MODES = {"pipeline": pipeline, "naive": naive, "decode": full_decode, "imports": imports_only}


def child(mode: str, path: str) -> None:
    """Run one mode on one photo and print this process's peak RSS in KB.

    VmHWM (/proc) is this program's own high-water mark; getrusage's ru_maxrss would also count
    the parent's memory, which Linux carries across fork and exec, so it is only the fallback.
    """
    data = Path(path).read_bytes()
    MODES[mode](data)
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                print(int(line.split()[1]))
                return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_rss_mb(mode: str, path: Path) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.split()[-1]) / 1024  # Linux reports KB


def numbered(photo: bytes, number: int) -> bytes:
    """`photo` (made with the description UPLOAD_MARK % 0) with `number` in its EXIF description
    instead: the same picture, other bytes, so another photo to the app."""
    mark = (UPLOAD_MARK % 0).encode()
    if photo.count(mark) != 1:
        raise RuntimeError("the upload photo's EXIF description is not found once in its bytes")
    return photo.replace(mark, (UPLOAD_MARK % number).encode())


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_instance(instance: Path) -> tuple[dict[str, str], int, str]:
    """A temp instance with the demo data; returns its environment, a planned visit of the demo
    plan and the key of its checklist's first item."""
    from sqlalchemy import create_engine
    from sqlmodel import col, select

    from inspection import create_app, db, demo, migrate
    from inspection.library import get_library
    from inspection.models import Plan, Visit, VisitStatus
    from inspection.services.answers import template_of

    env = {
        "INSPECTION_INSTANCE_PATH": str(instance),
        "INSPECTION_SECRET_KEY": "bench-secret",
        "INSPECTION_DATABASE_URL": f"sqlite:///{instance / 'bench.db'}",
        "INSPECTION_LIBRARY_PATH": str(instance / "library.json"),
        "INSPECTION_UPLOAD_DIR": str(instance / "uploads"),
    }
    os.environ.update(env)  # create_app reads its settings from the environment
    schema = create_engine(env["INSPECTION_DATABASE_URL"])
    migrate.upgrade(schema)  # as `init-db` would, before the app is built
    schema.dispose()
    app = create_app()
    with app.app_context():
        session = db.get_session()
        demo.seed_demo(session, get_library())  # as `flask seed-demo`
        visit = session.exec(
            select(Visit)
            .join(Plan)
            .where(Plan.number == demo.PLAN_NUMBER, Visit.status == VisitStatus.PLANNED)
            .order_by(col(Visit.id))
        ).first()
        if visit is None:
            raise RuntimeError("the demo data has no planned visit")
        item_key = next(template_of(get_library(), visit).items()).key
        visit_id = int(visit.id or 0)
        session.close()
    app.extensions["inspection.engine"].dispose()
    return env, visit_id, item_key


def demo_password(username: str) -> str:
    from inspection import demo

    return next(password for name, password, *_ in demo.USERS if name == username)


def request(
    port: int, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on a new connection (gunicorn's sync worker closes each), read to the end."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if request(port, "GET", "/api/v1/health", b"", {})[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def log_in(port: int, username: str) -> dict[str, str]:
    """The headers of a logged-in API client: the session cookie and the CSRF token."""
    import json
    from http.cookies import SimpleCookie

    credentials = {"username": username, "password": demo_password(username)}
    status, headers, body = request(
        port,
        "POST",
        "/api/v1/login",
        json.dumps(credentials).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        raise RuntimeError(f"login as {username}: {status} {body[:200]!r}")
    cookie = SimpleCookie(headers["Set-Cookie"])
    return {
        "Cookie": f"session={cookie['session'].value}",
        "X-CSRFToken": json.loads(body)["csrf_token"],
    }


def multipart(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body of `fields` and `data` as the field `file`."""
    import uuid

    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
    )
    body = b"".join(parts) + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(
    port: int, auth: dict[str, str], visit_id: int, item_key: str, data: bytes
) -> dict[str, Any]:
    """POST one photo; it must come back created, with the file's SHA-256."""
    import json
    import uuid

    fields = {"item_key": item_key, "client_id": str(uuid.uuid4()), "caption": "bench"}
    body, content_type = multipart(fields, data)
    path = f"/api/v1/visits/{visit_id}/photos"
    status, _, answer = request(port, "POST", path, body, {**auth, "Content-Type": content_type})
    if status != 201:
        raise RuntimeError(f"upload: {status}, not 201: {answer[:300]!r}")
    photo: dict[str, Any] = json.loads(answer)
    if photo.get("result") != "created" or photo.get("sha256") != hashlib.sha256(data).hexdigest():
        raise RuntimeError(f"upload: not the new photo of these bytes: {photo}")
    return photo


def http_upload() -> None:
    """One ~3 MB photo uploaded UPLOADS times over HTTP against photos.process of the same bytes."""
    import signal

    base = camera_photo(PHOTOS, quality=UPLOAD_QUALITY, description=UPLOAD_MARK % 0)
    files = [numbered(base, number) for number in range(UPLOADS + 1)]  # the first: a warm-up
    print(
        f"HTTP upload: one photo of {len(base) / 1e6:.2f} MB = {len(base) / 2**20:.2f} MiB "
        f"(4000×3000, quality {UPLOAD_QUALITY}), uploaded {UPLOADS} times with its own bytes each "
        "(+1 warm-up), gunicorn -w 1"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env, visit_id, item_key = prepare_instance(Path(tmp))
        port = free_port()
        server = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--no-control-socket",
                "app:app",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,  # the access log
        )
        try:
            wait_until_up(port, server)
            auth = log_in(port, UPLOAD_USER)
            upload(port, auth, visit_id, item_key, files[0])  # warm up the worker
            pipeline(files[0])
            over_http: list[float] = []
            in_process: list[float] = []
            photo: dict[str, Any] = {}
            for data in files[1:]:
                start = time.perf_counter()
                pipeline(data)
                in_process.append(time.perf_counter() - start)
                start = time.perf_counter()
                photo = upload(port, auth, visit_id, item_key, data)
                over_http.append(time.perf_counter() - start)
            thumb = photo["urls"]["thumb"]
            status, headers, _ = request(port, "GET", thumb, b"", {"Cookie": auth["Cookie"]})
            if status != 200 or headers.get("Content-Type") != "image/jpeg":
                raise RuntimeError(f"{thumb}: {status} {headers.get('Content-Type')}")
            stored = len(list((Path(tmp) / "uploads" / str(visit_id)).iterdir()))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    if stored != UPLOADS + 1:
        raise RuntimeError(f"{stored} photo folders stored, not {UPLOADS + 1}")
    http_ms = statistics.median(over_http) * 1000
    local_ms = statistics.median(in_process) * 1000
    print(
        f"  demo visit {visit_id} as {UPLOAD_USER}, item {item_key}: each upload 201 created "
        f"with the file's SHA-256; {stored} photos stored; the last thumbnail served"
    )
    print(f"  {'upload over HTTP, end to end':<32} median {http_ms:7.1f} ms")
    print(f"  {'photos.process in process':<32} median {local_ms:7.1f} ms")
    print(f"  HTTP / in-process: {http_ms / local_ms:.2f}× (reported, no target)")


def main() -> None:
    print(f"generating {PHOTOS} photos, 4000×3000 JPEG, EXIF orientation 6 ...")
    files = [camera_photo(seed) for seed in range(PHOTOS)]
    sizes = ", ".join(f"{len(data) / 1e6:.1f}" for data in files)
    print(f"sizes: {sizes} MB; {REPEAT} runs of each mode per photo, interleaved")
    times: dict[str, list[float]] = {"pipeline": [], "naive": [], "decode": []}
    for data in files:
        pipeline(data)  # warm up (imports, first allocation)
        for _ in range(REPEAT):
            for name in times:
                start = time.perf_counter()
                MODES[name](data)
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, label in (
        ("pipeline", "pipeline (draft + reduce)"),
        ("naive", "naive (exif_transpose + LANCZOS)"),
        ("decode", "plain full decode"),
    ):
        print(f"{label:<34} median {median[name] * 1000:7.1f} ms")
    vs_naive = median["naive"] / median["pipeline"]
    vs_decode = median["pipeline"] / median["decode"]
    verdict = "ok" if vs_naive >= TARGET_VS_NAIVE else "BELOW TARGET"
    print(f"  naive / pipeline:  {vs_naive:.2f}× faster (target ≥ {TARGET_VS_NAIVE}×: {verdict})")
    verdict = "ok" if vs_decode <= TARGET_VS_DECODE else "BELOW TARGET"
    print(f"  pipeline / decode: {vs_decode:.2f}× (target ≤ {TARGET_VS_DECODE}×: {verdict})")

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for number, data in enumerate(files):
            path = Path(tmp) / f"photo-{number}.jpg"
            path.write_bytes(data)
            paths.append(path)
        rss = {name: [peak_rss_mb(name, path) for path in paths] for name in MODES}
    print("peak RSS per photo, a fresh process each (max over the photos):")
    for name in ("imports", "decode", "naive", "pipeline"):
        print(f"  {name:<10} {max(rss[name]):6.1f} MB")
    worst = max(rss["pipeline"])
    verdict = "ok" if worst <= TARGET_RSS_MB else "BELOW TARGET"
    print(f"  pipeline peak {worst:.1f} MB (target ≤ {TARGET_RSS_MB} MB: {verdict})")
    http_upload()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
