"""The shape of the posdata app (issue #9): services never import tasks, no import inside a
function except in AppConfig.ready(), no formatter opt-outs, and the loader uses the reader's
public functions only."""

from __future__ import annotations

import ast
from pathlib import Path

import posdata

APP = Path(posdata.__file__).resolve().parent
MODULES = sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts)


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def test_services_and_the_pipeline_never_import_tasks():
    for path in MODULES:
        if path.parent.name not in ("services", "pipeline"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            assert not any(name.startswith("posdata.tasks") for name in _imported(node)), path


def test_no_import_inside_a_function_except_in_ready():
    found = []
    for path in MODULES:
        for func in ast.walk(ast.parse(path.read_text())):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if path.name == "apps.py" and func.name == "ready":
                continue
            found += [
                f"{path.relative_to(APP)}:{n.lineno}"
                for n in ast.walk(func)
                if isinstance(n, ast.Import | ast.ImportFrom)
            ]
    assert found == []


def test_no_formatter_opt_outs_and_no_private_reader_functions():
    for path in MODULES:
        text = path.read_text()
        assert "fmt: skip" not in text and "fmt: off" not in text, path
        assert "_open_text" not in text and "gi_frame" not in text, path
