"""The shape of the code: no two modules import each other, however indirectly (import-linter, run by
`make test`, checks the direction of the layers; this checks that nothing goes round in a circle)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest


def _circles(graph) -> list[list[str]]:
    """Groups of modules that import one another, directly or through others (Tarjan's algorithm)."""
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return found


AREAS = ("core", "fellows", "events", "programmes", "writeups")


def _graph():
    return grimp.build_graph(*AREAS, exclude_type_checking_imports=True, cache_dir=None)


def _route_modules(app) -> set[str]:
    """Every module that defines a view function of the URL map (found from the blueprints, never listed)."""
    modules = {getattr(view, "__module__", "") for view in app.view_functions.values()}
    return {module for module in modules if module.split(".")[0] in AREAS}


def test_no_route_module_imports_another_or_a_blueprint(app):
    """What two pages share lives in a plain module; a page module never reaches another page module or a
    blueprint, directly or through others."""
    graph = _graph()
    routes = _route_modules(app)
    assert len(routes) > 20 and "programmes.visits.timetable.manage" in routes
    blueprints = {module for module in graph.modules if module.split(".")[-1] == "blueprint"}
    reached = {
        (importer, imported)
        for importer in sorted(routes)
        for imported in sorted((routes - {importer}) | blueprints)
        if graph.chain_exists(importer=importer, imported=imported)
    }
    assert reached == set()


def test_no_module_imports_one_that_imports_it_back():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_circles():
    """The check itself: two modules that import each other are reported as one circle."""
    graph = grimp.ImportGraph()
    for importer, imported in [("a.views", "a.manage"), ("a.manage", "a.views"), ("a.manage", "core"), ("b", "core")]:
        graph.add_import(importer=importer, imported=imported)
    assert _circles(graph) == [["a.manage", "a.views"]]


ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PURE_CONTRACT = "core.lib is pure"


def _lint_imports_on_a_copy(tmp_path: Path, planted: str | None) -> subprocess.CompletedProcess:
    """import-linter on a copy of the code, with one line added to core/lib/ical.py (or none)."""
    for name in AREAS:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("app.py", "config.py", "extensions.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    if planted:
        ical = tmp_path / "core" / "lib" / "ical.py"
        ical.write_text(ical.read_text() + f"\n{planted}\n")
    return subprocess.run(  # noqa: S603 - the venv's own lint-imports on files this test wrote
        [str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_copy_of_the_code_keeps_every_contract(tmp_path):
    """The baseline for the planted imports below: the copy itself passes."""
    result = _lint_imports_on_a_copy(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "planted",
    [
        "from extensions import db  # noqa",
        "from flask_login import current_user  # noqa",
        "from core.models import utcnow  # noqa",
        "import sqlalchemy  # noqa",
        "from fellows.models import User  # noqa",
    ],
)
def test_an_import_of_the_app_planted_in_core_lib_breaks_the_pure_contract(tmp_path, planted):
    """core/lib stays pure because lint-imports fails, naming the contract, when anyone adds such an import."""
    result = _lint_imports_on_a_copy(tmp_path, planted)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert any(PURE_CONTRACT in line for line in broken), result.stdout


def test_the_package_picture_in_the_docs_is_the_import_graph_of_today():
    """docs/architecture.md shows what scripts/package-graph makes from the code now."""
    made = subprocess.run(  # noqa: S603 - the repository's own script
        [sys.executable, str(ROOT / "scripts" / "package-graph")], capture_output=True, text=True, check=True
    ).stdout.strip()
    docs = (ROOT / "docs" / "architecture.md").read_text()
    shown = docs.split("<!-- package-graph: made by scripts/package-graph -->")[1].split("<!-- /package-graph -->")[0]
    assert shown.strip() == made, "docs/architecture.md is out of date: run scripts/package-graph and paste its output"
