"""Template library reads and scoring, measured in one run against baselines.

- a cached library read vs. re-reading and parsing the TinyDB file (what the cache saves);
- a full score sheet of the commune template vs. json.loads of the same template (scale).
"""

from __future__ import annotations

import json
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspection.checklist import parse  # noqa: E402
from inspection.library import TemplateLibrary  # noqa: E402
from inspection.scoring import score_sheet  # noqa: E402
from tests.test_shipped_forms import best_answers  # noqa: E402


def per_call(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def main() -> None:
    raw = (ROOT / "forms" / "cchc-xa.json").read_text(encoding="utf-8")
    doc = json.loads(raw)
    with tempfile.TemporaryDirectory() as tmp:
        library = TemplateLibrary(Path(tmp) / "library.json")
        library.load_folder(ROOT / "forms")
        cached = per_call(lambda: library.get("cchc-xa", 1), 2000)
        uncached = per_call(lambda: TemplateLibrary(library.path).get("cchc-xa", 1), 200)
    answers = best_answers(doc)
    form = parse(doc)
    scoring = per_call(lambda: score_sheet(form, answers), 500)
    parsing = per_call(lambda: json.loads(raw), 500)
    print(f"library read, cached:   {cached * 1e6:8.1f} µs")
    print(f"library read, from disk:{uncached * 1e6:8.1f} µs")
    print(f"  ratio from disk / cached: {uncached / cached:.0f}")
    print(f"score sheet, 53 items:  {scoring * 1e6:8.1f} µs")
    print(f"json.loads of template: {parsing * 1e6:8.1f} µs")
    print(f"  ratio score sheet / parse: {scoring / parsing:.1f}")


if __name__ == "__main__":
    main()
