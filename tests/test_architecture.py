"""The shape of the code: no two modules import each other, however indirectly (import-linter, run by
`make test`, checks the direction of the layers; this checks that nothing goes round in a circle)."""

from __future__ import annotations

import grimp


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


def test_no_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph(
        "core", "fellows", "events", "programmes", exclude_type_checking_imports=True, cache_dir=None
    )
    assert _circles(graph) == []


def test_the_circle_finder_finds_circles():
    """The check itself: two modules that import each other are reported as one circle."""
    graph = grimp.ImportGraph()
    for importer, imported in [("a.views", "a.manage"), ("a.manage", "a.views"), ("a.manage", "core"), ("b", "core")]:
        graph.add_import(importer=importer, imported=imported)
    assert _circles(graph) == [["a.manage", "a.views"]]
