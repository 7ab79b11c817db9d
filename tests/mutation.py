"""`make mutation`: mutmut over the modules whose rules the tests must pin down, outside CI.

Mutmut changes one thing at a time in the code (a `<` made `<=`, a constant, a dropped `not`) and
runs the tests that reach the changed function; a mutant that no test fails "survived" and points
at behaviour that no test checks. Each module is mutated in its own copy of the project under
.venv/mutation/<name> (ignored by git, removed by `make clean`), against the test files that state
its rules, always from scratch so that every verdict is against the tests as they are now. The
whole run stops after MUTATION_TIMEOUT seconds (default 1800), shared out between the modules,
keeping what it checked.

    make mutation                          # every module
    MUTATION_TIMEOUT=600 make mutation     # a shorter look
    MUTATION_ONLY=auth make mutation       # one module (scoring, item_types, answers or auth)
    MUTATION_RESUME=1 make mutation        # go on with the mutants a stopped run left unchecked
    cd .venv/mutation/scoring && ../../bin/mutmut show inspection.scoring.x_band_for__mutmut_3
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("MUTATION_DIR") or ROOT / ".venv" / "mutation")
# name → (module, the test files that state its rules, fastest first: with -x a mutant's run
# stops at the first failure, so an early fast test makes killing cheap). Slow end-to-end files
# (servers, races, generated text) and the browser tests are left out: they add minutes per
# mutant and state no rule of these modules that the files here do not.
MODULES = {
    "scoring": (
        "inspection/scoring.py",
        [
            "tests/test_scoring.py",
            "tests/test_shipped_forms.py",
            "tests/test_seed004.py",
            "tests/test_api_answers.py",
        ],
    ),
    "item_types": (
        "inspection/checklist/item_types.py",
        [
            "tests/test_item_types.py",
            "tests/test_scoring.py",
            "tests/test_checklist_validation.py",
            "tests/test_new_item_type.py",
            "tests/test_shipped_forms.py",
            "tests/test_visit_pages.py",
        ],
    ),
    "answers": (
        "inspection/services/answers.py",
        [
            "tests/test_api_answers.py",
            "tests/test_workflow.py",
            "tests/test_bad_input.py",
            "tests/test_visit_pages.py",
        ],
    ),
    "auth": (
        "inspection/auth.py",
        [
            "tests/test_api_access.py",
            "tests/test_auth_pages.py",
            "tests/test_login_limits.py",
            "tests/test_visit_pages.py",
            "tests/test_plan_pages.py",
        ],
    ),
}
COPIED = ["inspection", "tests", "forms", "app.py", "pyproject.toml"]
# mutmut reads [mutmut] from setup.cfg when pyproject.toml has no [tool.mutmut]; each copy gets
# its own, so the project's files carry no mutmut settings.
SETUP_CFG = """\
[mutmut]
source_paths = inspection
only_mutate =
    {module}
pytest_add_cli_args_test_selection =
{tests}
pytest_add_cli_args =
    -p
    no:xdist
    -p
    no:cacheprovider
also_copy =
    forms
    app.py
    conftest.py
use_git_change_detection = false
"""
# Beside tests/ in the copy: runs the selected tests in the order of the list above (mutmut
# names them in no particular order).
ORDER_CONFTEST = """\
import pytest

ORDER = {order!r}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    rank = {{name: n for n, name in enumerate(ORDER)}}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(ORDER)))
"""
KILLED, SURVIVED, NO_TESTS, TIMEOUT = "killed", "survived", "no tests", "timeout"


def prepare(folder: Path, module: str, tests: list[str]) -> None:
    """A fresh copy of the project, with compiled catalogs (`make translations` ran first)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "browser")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=skip)
        else:
            shutil.copy2(source, folder / name)
    tests = [t for t in tests if (ROOT / t).exists()]
    listed = "\n".join(f"    {t}" for t in tests)
    (folder / "setup.cfg").write_text(SETUP_CFG.format(module=module, tests=listed))
    (folder / "conftest.py").write_text(ORDER_CONFTEST.format(order=tests))


def run_mutmut(folder: Path, timeout: float, children: int) -> int:
    """`mutmut run` in its own process group; after `timeout` seconds it is interrupted (it
    saves each verdict as it goes, so what was checked is kept)."""
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CI", None)
    mutmut = Path(sys.executable).parent / "mutmut"
    command = [str(mutmut), "run", "--max-children", str(children)]
    process = subprocess.Popen(command, cwd=folder, env=env, start_new_session=True)
    try:
        return process.wait(timeout=max(timeout, 1))
    except subprocess.TimeoutExpired:
        print(f"\nmutation: {folder.name} stopped after {timeout:.0f} s", flush=True)
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return 124


def verdicts(folder: Path, module: str) -> dict[str, str]:
    """Mutant name → verdict, read from mutmut's .meta file."""
    from mutmut.stats import status_by_exit_code

    meta = folder / "mutants" / f"{module}.meta"
    codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    return {name: status_by_exit_code[code] for name, code in codes.items()}


def report(found: dict[str, dict[str, str]]) -> None:
    print(
        f"\n{'module':31} {'mutants':>7} {'killed':>6} {'survived':>8} {'no test':>7} "
        f"{'timeout':>7} {'unchecked':>9} {'score':>6}"
    )
    for module, by_name in found.items():
        counts: dict[str, int] = {}
        for status in by_name.values():
            counts[status] = counts.get(status, 0) + 1
        killed = counts.get(KILLED, 0) + counts.get(TIMEOUT, 0)
        judged = killed + counts.get(SURVIVED, 0) + counts.get(NO_TESTS, 0)
        score = f"{100 * killed / judged:5.1f}%" if judged else "-"
        print(
            f"{module:31} {len(by_name):7} {counts.get(KILLED, 0):6} "
            f"{counts.get(SURVIVED, 0):8} {counts.get(NO_TESTS, 0):7} "
            f"{counts.get(TIMEOUT, 0):7} {len(by_name) - judged:9} {score:>6}"
        )
    print("\nscore = (killed + timeout) / (killed + timeout + survived + no test)")
    alive = (SURVIVED, NO_TESTS)
    survivors = [name for by_name in found.values() for name, s in by_name.items() if s in alive]
    if survivors:
        print(f"\n{len(survivors)} left alive (see one: cd {WORK}/… && ../../bin/mutmut show …):")
        for name in survivors:
            print(f"    {name}")


def main() -> int:
    budget = float(os.environ.get("MUTATION_TIMEOUT") or 1800)
    children = int(os.environ.get("MUTATION_CHILDREN") or 2)
    only = os.environ.get("MUTATION_ONLY")
    chosen = {name: spec for name, spec in MODULES.items() if not only or name == only}
    started = time.monotonic()
    codes = []
    for n, (name, (module, tests)) in enumerate(chosen.items()):
        folder = WORK / name
        if not (os.environ.get("MUTATION_RESUME") and (folder / "mutants").is_dir()):
            prepare(folder, module, tests)
        left = budget - (time.monotonic() - started)
        codes.append(run_mutmut(folder, left / (len(chosen) - n), children))
    os.chdir(WORK / next(iter(chosen)))  # mutmut reads its settings from there on import
    report({spec[0]: verdicts(WORK / name, spec[0]) for name, spec in chosen.items()})
    print(f"\nmutation: {time.monotonic() - started:.0f} s, mutmut exit codes {codes}")
    return 0 if all(code in (0, 124) for code in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
