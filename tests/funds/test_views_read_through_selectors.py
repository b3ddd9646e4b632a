"""The pages of funds read through named selector functions (funds/selectors.py), which scope
them: no view or panel reaches a model's manager itself. Checked on the source, with the check
proven on a snippet first so that it cannot go blind."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("funds/views.py", "funds/panels.py")


def _model_via_selectors(node: ast.Attribute) -> bool:
    """A class reached through the selectors module (constants are upper case; Balances is a value)."""
    return (
        isinstance(node.value, ast.Name)
        and node.value.id == "selectors"
        and node.attr[:1].isupper()
        and not node.attr.isupper()
        and node.attr != "Balances"
    )


def direct_reads(source: str) -> list[str]:
    """``X.objects`` and ``selectors.Model`` (a model reached through the selectors module)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and (node.attr == "objects" or _model_via_selectors(node)):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return sorted(found)


def test_the_check_sees_a_manager_and_a_model_reached_through_the_selectors():
    snippet = (
        "a = selectors.LedgerEntry.objects.filter(x=1)\n"
        "b = Membership.objects.all()\n"
        "c = selectors.Balances(), selectors.ZERO\n"
    )
    assert direct_reads(snippet) == [
        "line 1: selectors.LedgerEntry",
        "line 1: selectors.LedgerEntry.objects",
        "line 2: Membership.objects",
    ]


def test_funds_pages_call_selector_functions_only():
    for page in PAGES:
        assert direct_reads((ROOT / page).read_text()) == [], page
