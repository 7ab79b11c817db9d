"""The photo pipeline (inspection/photos.py) on generated 12 MP camera JPEGs, measured in one run
against two baselines on the same files:

- (a) the naive Pillow pipeline: open → ImageOps.exif_transpose → LANCZOS display copy and
  thumbnail from the full image (encoded and hashed as the pipeline does: only the method differs);
- (b) a plain full decode of the file (`Image.open(...).load()`), the floor of a proof by decoding.

Times are medians over every photo and repetition, the three interleaved so that the shared cores
treat them alike. Peak memory is the peak RSS of a fresh child process per photo (the child's
VmHWM from /proc, else `resource.getrusage`: tracemalloc misses Pillow's C buffers), printed with
that of a child that only imports, to show what the photo itself costs.

Not measured here: the 3 MB upload over HTTP end to end (issue 15) needs the photo routes, which
do not exist yet.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageOps  # noqa: E402

from inspection import photos  # noqa: E402

PHOTOS = int(os.environ.get("BENCH_PHOTOS", "4"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
LIMIT = 25 * 1024 * 1024
TARGET_VS_NAIVE = 2.5  # the pipeline at least this many times faster than the naive one
TARGET_VS_DECODE = 2.0  # and at most this many times a plain full decode
TARGET_RSS_MB = 80


def camera_photo(seed: int) -> bytes:
    """A 4000×3000 scene stored as a tablet held upright stores it (turned, orientation 6): a
    gradient, sensor-like noise and a notice board of "text" lines, ~3 MB at quality 90, about
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
    buffer = io.BytesIO()
    scene.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=90, exif=exif)
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
    print("not measured: the 3 MB upload over HTTP end to end (the photo routes do not exist yet)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
