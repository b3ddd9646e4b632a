"""The layering of the code base, as data and as checks over the import graph.

Imports run one way: the core (prm) -> partners -> {deals, posdata, claims} -> {rebates, funds, insights},
with the API above all; tests and bench sit outside. Siblings in one layer never import each
other. The graph (grimp) counts every import statement, those inside functions included; imports
under ``if TYPE_CHECKING:`` are left out because they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from pathlib import Path

import grimp

# Lowest first. A module may import from its own package and from lower layers only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("prm",),
    ("partners",),
    ("deals", "posdata", "claims"),
    ("rebates", "funds", "insights"),
    ("api",),
)


def build_graph(packages: Sequence[str]) -> grimp.ImportGraph:
    return grimp.build_graph(*packages, cache_dir=None, exclude_type_checking_imports=True)


def _layer_of(layers: Sequence[Sequence[str]]) -> dict[str, int]:
    return {package: level for level, group in enumerate(layers) for package in group}


def layer_violations(graph: grimp.ImportGraph, layers: Sequence[Sequence[str]] = LAYERS) -> list[str]:
    """Every import of a higher layer or of a sibling: "importer -> imported (line N)"."""
    level = _layer_of(layers)
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            source, target = importer.split(".")[0], imported.split(".")[0]
            if source == target or target not in level or source not in level:
                continue
            if level[target] >= level[source]:
                lines = [
                    d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)
                ]
                found.append(f"{importer} -> {imported} (line {', '.join(map(str, lines))})")
    return found


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly
    connected components, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def _explained(lines: list[str], node: ast.Import | ast.ImportFrom) -> bool:
    """An import inside a function is fine when a comment says why: on its own lines or on the
    line above it (or above the run of imports it belongs to)."""
    if any("#" in line for line in lines[node.lineno - 1 : node.end_lineno]):
        return True
    above = node.lineno - 2
    while above >= 0:
        text = lines[above].strip()
        if text.startswith("#"):
            return True
        if not text or text.startswith(("import ", "from ")) or text.endswith((",", "(")) or text == ")":
            above -= 1
            continue
        return False
    return False


def unexplained_function_imports(roots: Iterable[Path]) -> list[str]:
    """Imports inside functions without a comment saying why. ``AppConfig.ready()`` is exempt:
    registration must wait until every app's models are loaded."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            lines = source.splitlines()
            for function in ast.walk(ast.parse(source)):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if path.name == "apps.py" and function.name == "ready":
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom) and not _explained(lines, node):
                        found.append(f"{path}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return sorted(set(found))
