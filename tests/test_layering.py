"""The layering holds: no upward or sideways import, no cycle between modules (imports inside
functions included), no unexplained import inside a function, and the core imports no app.

The checks are proven on a small synthetic code base first, so that a check that has gone blind
fails here instead of passing silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.layering import LAYERS, build_graph, layer_violations, module_cycles, unexplained_function_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [package for group in LAYERS for package in group if (ROOT / package / "__init__.py").exists()]


@pytest.fixture(scope="module")
def graph():
    return build_graph(PACKAGES)


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A tiny code base with the same layer names: core (bottom), app, top."""

    def write(relative: str, text: str) -> None:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    for package in ("core", "app", "sibling", "top"):
        write(f"{package}/__init__.py", "")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path, write


TOY_LAYERS = (("core",), ("app", "sibling"), ("top",))


def test_the_checks_see_an_upward_import_hidden_in_a_function(toy):
    root, write = toy
    write("core/models.py", "def f():\n    from app import views\n")
    write("app/views.py", "import core.models\n")
    graph = build_graph(["core", "app", "sibling", "top"])
    assert layer_violations(graph, TOY_LAYERS) == ["core.models -> app.views (line 2)"]
    assert module_cycles(graph) == [["app.views", "core.models"]]
    assert unexplained_function_imports([root / "core"]) == [
        f"{root / 'core/models.py'}:2: from app import views"
    ]


def test_the_checks_see_a_sibling_import_and_a_longer_cycle(toy):
    root, write = toy
    write("sibling/x.py", "")
    write("app/a.py", "import app.b\nimport sibling.x\n")
    write("app/b.py", "import app.c\n")
    write("app/c.py", "def f():\n    # deferred: registry filled at start-up\n    import app.a\n")
    write("top/t.py", "import app.a\nimport core\n")
    graph = build_graph(["core", "app", "sibling", "top"])
    assert layer_violations(graph, TOY_LAYERS) == ["app.a -> sibling.x (line 2)"]
    assert module_cycles(graph) == [["app.a", "app.b", "app.c"]]
    assert unexplained_function_imports([root / "app"]) == []  # the one in-function import says why


def test_imports_run_one_way_between_the_apps(graph):
    assert layer_violations(graph) == []


def test_no_two_modules_import_each_other(graph):
    assert module_cycles(graph) == []


def test_every_import_inside_a_function_says_why():
    assert unexplained_function_imports(ROOT / package for package in PACKAGES) == []


def test_the_core_names_no_app_anywhere_in_its_code(graph):
    apps = {package for group in LAYERS[1:] for package in group}
    imported = {
        target.split(".")[0]
        for module in graph.modules
        if module.split(".")[0] == "prm"
        for target in graph.find_modules_directly_imported_by(module)
    }
    assert not imported & apps


def test_import_linter_contracts_are_kept():
    """The same layering as import-linter contracts (pyproject.toml), which `make lint` runs."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout
