"""Programs: the JSON load and export (INTERFACES.md), problems named by line and column, and
versioning on edit (every run records the version it used)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from prm.audit.models import AuditEvent
from rebates.models import ProgramVersion, RebateProgram
from rebates.services.programs import program_export
from tests.rebates.helpers import PROGRAM, calculate, definition, load, pos

pytestmark = pytest.mark.django_db


def _load_file(tmp_path, data, *, json_out=True):
    path = tmp_path / "program.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    out = io.StringIO()
    args = ["rebate_program_load", "--tenant", "acme", str(path)] + (["--json"] if json_out else [])
    call_command(*args, stdout=out)
    return json.loads(out.getvalue()) if json_out else out.getvalue()


def test_loading_the_interfaces_example_creates_an_active_program_and_exports_the_same_json(cast, tmp_path):
    assert _load_file(tmp_path, PROGRAM) == {
        "program": "Q1-PUMPS",
        "version": 1,
        "status": "active",
        "changed": True,
    }
    with cast.a.context():
        program = RebateProgram.objects.get(code="Q1-PUMPS")
        assert program_export(program) == PROGRAM
        assert program.currency == "USD" and program.method == "retroactive"


def test_loading_the_same_definition_again_changes_nothing(cast, tmp_path):
    _load_file(tmp_path, PROGRAM)
    assert _load_file(tmp_path, PROGRAM)["changed"] is False
    with cast.a.context():
        assert ProgramVersion.objects.count() == 1


def test_changing_an_active_program_creates_a_new_version_and_runs_keep_theirs(cast, tmp_path):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 1, "60000")])
        program = load(PROGRAM)
        first = calculate(program)
    changed = dict(PROGRAM, tiers=[{"from": "0", "rate": "0"}, {"from": "50000", "rate": "0.03"}])
    assert _load_file(tmp_path, changed)["version"] == 2
    with cast.a.context():
        program.refresh_from_db()
        second = calculate(program)
        assert (first.version, second.version) == (1, 2)
        assert first.accruals.get().earned == 1200 and second.accruals.get().earned == 1800
        assert program_export(program, version=1) == PROGRAM and program_export(program) == changed
        assert AuditEvent.objects.filter(action="rebate_program.version", object_id=str(program.pk)).exists()


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('{"code": "X",\n  "name": "n",, }', "line 2, column 15", "Not valid JSON"),
        (json.dumps(dict(PROGRAM, method="tiered"), indent=1), "line 10, column 12", "tiered"),
        (
            json.dumps(
                dict(PROGRAM, tiers=[{"from": "0", "rate": "0"}, {"from": "abc", "rate": "0.02"}]), indent=1
            ),
            "line 28, column 12",
            "abc",
        ),
        (json.dumps(dict(PROGRAM, method="growth"), indent=1), "line 10, column 12", "baseline_period"),
        (
            json.dumps({k: v for k, v in PROGRAM.items() if k != "currency"}, indent=1),
            "line 1, column 1",
            "currency",
        ),
    ],
)
def test_a_bad_definition_names_line_and_column_and_creates_nothing(cast, tmp_path, text, where, words):
    with pytest.raises(CommandError) as failure:
        _load_file(tmp_path, text)
    message = str(failure.value)
    assert where in message and words in message and "\n" not in message
    with cast.a.context():
        assert not RebateProgram.objects.exists()


def test_tiers_must_increase(cast):
    from rebates.definition import DefinitionError

    with cast.a.context(), pytest.raises(DefinitionError, match="increase"):
        load(definition(tiers=[{"from": "100", "rate": "0.1"}, {"from": "50", "rate": "0.2"}]))
