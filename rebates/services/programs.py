"""Writes of programs: create or replace a program from a definition (the JSON load, the back
office form), each change of an existing program's terms becoming a new version; activate and
archive."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.roles import Perm, membership_has
from prm.workflow import DomainError, check_transition, require
from rebates.definition import Definition, definition_of, program_definition_parse
from rebates.models import ProgramVersion, RebateProgram

S = RebateProgram.Status


def _require(acting_membership: Membership | None, perm: Perm) -> None:
    """The command line acts without a membership (an operator on the server)."""
    if acting_membership is not None:
        require(membership_has(acting_membership, perm))


def _user(acting_membership: Membership | None):
    return acting_membership.user if acting_membership is not None else None


def _headline(program: RebateProgram, definition: Definition) -> None:
    program.name = definition.name
    program.currency = definition.currency
    program.start_date = definition.start
    program.end_date = definition.end
    program.method = definition.method
    program.basis = definition.basis


def current_definition(program: RebateProgram) -> Definition:
    version = ProgramVersion.objects.get(program=program, version=program.version)
    return definition_of(version.definition)


def program_save(
    *,
    definition: Definition,
    acting_membership: Membership | None = None,
    activate: bool = False,
    note: str = "",
) -> tuple[RebateProgram, bool]:
    """Create the program ``definition.code`` (as a draft, or active with ``activate``), or give
    the existing one these terms as a new version. Loading the same terms again changes nothing
    (``changed`` False), so a re-run load is safe. An archived program is not changed."""
    _require(acting_membership, Perm.REBATE_MANAGE)
    user = _user(acting_membership)
    data = definition.as_json()
    with transaction.atomic():
        program = RebateProgram.objects.select_for_update().filter(code=definition.code).first()
        if program is None:
            program = RebateProgram(
                code=definition.code, status=S.ACTIVE if activate else S.DRAFT, created_by=user
            )
            _headline(program, definition)
            program.save()
            ProgramVersion.objects.create(
                program=program, version=1, definition=data, note=note[:200], created_by=user
            )
            audit(
                actor=user,
                action="rebate_program.create",
                obj=program,
                after={"version": 1, "definition": data},
            )
            return program, True
        if program.status == S.ARCHIVED:
            raise DomainError(
                _("Program %(code)s is archived: it cannot be changed.") % {"code": program.code}
            )
        current = ProgramVersion.objects.get(program=program, version=program.version)
        if current.definition == data:
            if activate and program.status == S.DRAFT:
                _activate(program, user)
                return program, True
            return program, False
        before = {"version": program.version, "definition": current.definition}
        program.version += 1
        _headline(program, definition)
        fields = ["version", "name", "currency", "start_date", "end_date", "method", "basis", "updated_at"]
        if activate and program.status == S.DRAFT:
            program.status = S.ACTIVE
            fields.append("status")
        program.save(update_fields=fields)
        ProgramVersion.objects.create(
            program=program, version=program.version, definition=data, note=note[:200], created_by=user
        )
        audit(
            actor=user,
            action="rebate_program.version",
            obj=program,
            before=before,
            after={"version": program.version, "definition": data},
        )
    return program, True


def program_load(
    *, text: str | bytes, acting_membership: Membership | None = None, activate: bool = True
) -> tuple[RebateProgram, bool]:
    """``rebate_program_load``: a JSON definition creates the program (active) or replaces its
    terms as a new version. Problems raise ``DefinitionError`` naming line and column."""
    definition = program_definition_parse(text)
    return program_save(
        definition=definition,
        acting_membership=acting_membership,
        activate=activate,
        note=_("Loaded from JSON"),
    )


def _activate(program: RebateProgram, user) -> None:
    check_transition(RebateProgram.TRANSITIONS, program.status, S.ACTIVE, what=_("The program"))
    program.status = S.ACTIVE
    program.save(update_fields=["status", "updated_at"])
    audit(
        actor=user,
        action="rebate_program.activate",
        obj=program,
        before={"status": S.DRAFT},
        after={"status": S.ACTIVE},
    )


def program_activate(*, program: RebateProgram, acting_membership: Membership) -> RebateProgram:
    """A draft program goes live: calculations and statements start."""
    with transaction.atomic():
        locked = RebateProgram.objects.select_for_update().get(pk=program.pk)
        _require(acting_membership, Perm.REBATE_MANAGE)
        _activate(locked, acting_membership.user)
    program.refresh_from_db()
    return program


def program_archive(*, program: RebateProgram, acting_membership: Membership) -> RebateProgram:
    """No more calculations or settlements; history stays readable."""
    with transaction.atomic():
        locked = RebateProgram.objects.select_for_update().get(pk=program.pk)
        _require(acting_membership, Perm.REBATE_MANAGE)
        if RebateProgram.objects.filter(pk=locked.pk, settlements__status="pending").exists():
            raise DomainError(_("A settlement of this program awaits approval: decide it first."))
        before = locked.status
        check_transition(RebateProgram.TRANSITIONS, locked.status, S.ARCHIVED, what=_("The program"))
        locked.status = S.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="rebate_program.archive",
            obj=locked,
            before={"status": before},
            after={"status": S.ARCHIVED},
        )
    program.refresh_from_db()
    return program


def program_export(program: RebateProgram, version: int | None = None) -> dict[str, Any]:
    """The JSON definition of the current (or a given) version: loading it gives the same program."""
    row = ProgramVersion.objects.get(program=program, version=version or program.version)
    return definition_of(row.definition).as_json()
