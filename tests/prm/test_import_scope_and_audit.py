"""Reference imports run as the acting member: rows outside their partner scope are refused line
by line, tiers change only through the tier service, and imports leave audit events (one per
import with its counts, one per changed record); the command line acts for the whole tenant."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from guardian.shortcuts import assign_perm

from partners.models import Partner
from posdata.models import SkuXref
from prm.accounts.models import Membership
from prm.audit.models import AuditEvent
from prm.jobs.models import Job
from prm.notifications.models import Notification
from tests.partners import helpers

pytestmark = pytest.mark.django_db

HEADER = "code,name,type,country,region,tier,email"


@pytest.fixture
def restricted(cast):
    """The channel manager, restricted to partner P1 (assigned)."""
    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p1"])
    return cast.a.client("manager")


def _portal_import(client, capture, content: str, kind: str = "partners") -> Job:
    data = {"kind": kind, "file": SimpleUploadedFile("data.csv", content.encode(), content_type="text/csv")}
    with capture(execute=True):
        response = client.post("/imports/", data)
    assert response.status_code == 302, response.content[:500]
    return Job.objects.order_by("-pk").first()


def _partner(cast, key):
    return Partner.objects.get(pk=cast.a.partners[key].pk)


def test_restricted_manager_cannot_change_another_partner_by_import(
    cast, restricted, django_capture_on_commit_callbacks
):
    content = f"{HEADER}\nD100,Northwind Renamed,distributor,US,West,,\nD200,Hijacked,distributor,US,West,,evil@x.test\n"
    with cast.a.context():
        job = _portal_import(restricted, django_capture_on_commit_callbacks, content)
        assert job.status == Job.Status.FAILED
        assert [(e["line"], e["column"]) for e in job.result["errors"]] == [(3, "code")]
        assert "not one of the partners you manage" in job.result["errors"][0]["message"]
        assert (_partner(cast, "p2").name, _partner(cast, "p2").email) == ("Contoso Supply", "")
        assert _partner(cast, "p1").name == "Northwind Distribution"  # all or nothing
        assert not AuditEvent.objects.filter(action__startswith="partner.import").exists()
        refused = AuditEvent.objects.get(action="import.partners")
        assert refused.actor == cast.a.users["manager"]
        assert (refused.after["created"], refused.after["updated"], refused.after["errors"]) == (0, 0, 1)


def test_restricted_manager_cannot_create_partners_outside_their_scope(
    cast, restricted, django_capture_on_commit_callbacks
):
    with cast.a.context():
        job = _portal_import(
            restricted, django_capture_on_commit_callbacks, f"{HEADER}\nN900,New Co,reseller,US,,,\n"
        )
        assert [(e["line"], e["column"]) for e in job.result["errors"]] == [(2, "code")]
        assert not Partner.objects.filter(code="N900").exists()


def test_assigned_partner_changes_are_audited_per_partner_and_per_import(
    cast, restricted, django_capture_on_commit_callbacks
):
    content = f"{HEADER}\nD100,Northwind Renamed,distributor,US,West,,sales@northwind.test\n"
    with cast.a.context():
        job = _portal_import(restricted, django_capture_on_commit_callbacks, content)
        assert job.result == {"kind": "partners", "created": 0, "updated": 1, "errors": []}
        change = AuditEvent.objects.get(action="partner.import_update")
        assert change.actor == cast.a.users["manager"]
        assert change.before == {"name": "Northwind Distribution", "email": ""}
        assert change.after == {"name": "Northwind Renamed", "email": "sales@northwind.test", "via": "portal"}
        summary = AuditEvent.objects.get(action="import.partners")
        assert (summary.object_type, summary.object_id) == ("prm.job", str(job.pk))
        assert summary.after == {"kind": "partners", "created": 0, "updated": 1, "rows": 1, "via": "portal"}


def test_channel_manager_cannot_change_a_tier_by_import(cast, django_capture_on_commit_callbacks):
    with cast.a.context():
        helpers.program_with_partners(cast)
        job = _portal_import(
            cast.a.client("manager"),
            django_capture_on_commit_callbacks,
            f"{HEADER}\nD100,Northwind,distributor,US,West,Platinum,\n",
        )
        assert [(e["line"], e["column"]) for e in job.result["errors"]] == [(2, "tier")]
        assert _partner(cast, "p1").tier == "Registered"
        assert not AuditEvent.objects.filter(action="partner.tier_change").exists()


def test_vendor_admin_tier_change_by_import_goes_through_the_tier_service(
    cast, django_capture_on_commit_callbacks
):
    with cast.a.context():
        helpers.program_with_partners(cast)
        job = _portal_import(
            cast.a.client("admin"),
            django_capture_on_commit_callbacks,
            f"{HEADER}\nD100,Northwind,distributor,US,West,gold,\n",
        )
        assert job.result["errors"] == []
        partner = _partner(cast, "p1")
        assert (partner.tier, partner.current_tier.name) == ("Gold", "Gold")
        event = AuditEvent.objects.get(action="partner.tier_change")
        assert event.actor == cast.a.users["admin"] and event.before["tier"] == "Registered"
        assert Notification.objects.filter(recipient=cast.a.users["p1_admin"], verb="tier.changed").exists()


def test_an_empty_tier_cell_leaves_the_tier_alone(cast, django_capture_on_commit_callbacks):
    with cast.a.context():
        helpers.program_with_partners(cast)
        job = _portal_import(
            cast.a.client("manager"),
            django_capture_on_commit_callbacks,
            f"{HEADER}\nD100,Northwind,distributor,US,West,,\n",
        )
        assert job.result["errors"] == []
        assert _partner(cast, "p1").tier == "Registered"


def test_command_line_import_acts_for_the_tenant_and_says_so_in_the_audit(cast, tmp_path: Path):
    with cast.a.context():
        helpers.program_with_partners(cast)
    path = tmp_path / "partners.csv"
    path.write_text(f"{HEADER}\nD200,Contoso Renamed,distributor,US,West,Silver,\n")
    out = StringIO()
    call_command("import_data", "--tenant", "acme", "--kind", "partners", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"kind": "partners", "created": 0, "updated": 1, "errors": []}
    with cast.a.context():
        assert _partner(cast, "p2").tier == "Silver"
        for action in ("import.partners", "partner.import_update", "partner.tier_change"):
            event = AuditEvent.objects.get(action=action)
            assert event.actor is None and event.after["via"] == "command line", action


def test_restricted_manager_sku_xref_rows_for_other_partners_are_refused(
    cast, restricted, django_capture_on_commit_callbacks
):
    content = "partner_code,partner_sku,sku\nD100,NW-1,PMP-100\nD200,CS-1,PMP-100\n"
    with cast.a.context():
        job = _portal_import(restricted, django_capture_on_commit_callbacks, content, kind="sku_xref")
        assert [(e["line"], e["column"]) for e in job.result["errors"]] == [(3, "partner_code")]
        assert not SkuXref.objects.exists()
        job = _portal_import(
            restricted,
            django_capture_on_commit_callbacks,
            "partner_code,partner_sku,sku\nD100,NW-1,PMP-100\n",
            kind="sku_xref",
        )
        assert job.result["created"] == 1
        event = AuditEvent.objects.get(action="pos.sku_xref_import")
        assert event.actor == cast.a.users["manager"] and event.after["partner_sku"] == "NW-1"
        assert [
            e.after["created"] for e in AuditEvent.objects.filter(action="import.sku_xref").order_by("pk")
        ] == [0, 1]


def test_access_removed_between_upload_and_run_imports_nothing(cast, django_capture_on_commit_callbacks):
    from prm.imports import reference_import_run, reference_import_start

    with cast.a.context():
        with django_capture_on_commit_callbacks(execute=False):
            job = reference_import_start(
                kind="partners",
                upload=SimpleUploadedFile("p.csv", f"{HEADER}\nD100,Changed,distributor,US,,,\n".encode()),
                acting_membership=cast.a.memberships["manager"],
            )
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(is_active=False)
        report = reference_import_run(job)
        assert report["created"] == report["updated"] == 0 and report["errors"]
        assert _partner(cast, "p1").name == "Northwind Distribution"
