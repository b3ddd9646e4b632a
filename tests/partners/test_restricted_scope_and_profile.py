"""A channel manager restricted to assigned partners sees only their jobs, recalculates only their
scorecards, learns nothing about other partners from a conflict, and counts only their exceptions.
Partners cannot widen their own lead territory: region and expertise are vendor-managed."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from partners.models import Partner
from partners.services.scorecards import scorecard_recalculate_start
from prm.accounts.models import Membership
from prm.audit.models import AuditEvent
from prm.jobs.models import Job
from prm.notifications.models import Notification
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(cast):
    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        cast.a.memberships["manager"].refresh_from_db()
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p1"])
    return cast.a.client("manager")


def test_restricted_manager_sees_only_jobs_of_assigned_partners_and_their_own(cast, restricted):
    with cast.a.context():
        own = Job.objects.create(kind="import:products", created_by=cast.a.users["manager"])
        p1 = Job.objects.create(
            kind="pos:pos", partner=cast.a.partners["p1"], created_by=cast.a.users["p1_user"]
        )
        p2 = Job.objects.create(
            kind="pos:pos",
            partner=cast.a.partners["p2"],
            created_by=cast.a.users["p2_user"],
            error="D200 row 4",
        )
        tenant_wide = Job.objects.create(kind="import:partners", created_by=cast.a.users["admin"])
    listed = {job.pk for job in restricted.get("/jobs/").context["page"]}
    assert listed == {own.pk, p1.pk}
    assert restricted.get(f"/jobs/{p2.pk}/").status_code == 404
    assert restricted.get(f"/jobs/{tenant_wide.pk}/").status_code == 404
    assert {j.pk for j in cast.a.client("admin").get("/jobs/").context["page"]} == {
        own.pk,
        p1.pk,
        p2.pk,
        tenant_wide.pk,
    }


def test_restricted_recalculate_all_covers_assigned_partners_only(
    cast, restricted, django_capture_on_commit_callbacks
):
    with cast.a.context():
        job = scorecard_recalculate_start(acting_membership=cast.a.memberships["manager"])
        assert job.params["partner_ids"] == [cast.a.partners["p1"].pk]
        unrestricted = scorecard_recalculate_start(acting_membership=cast.a.memberships["admin"])
        assert unrestricted.params["partner_ids"] is None


def test_restricted_reviewer_does_not_see_the_other_partners_conflicting_registration(cast, restricted):
    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=False)
        first = register(cast, "p2_user", "Globe Corp", domain="globe.test")
        later = register(cast, "p1_user", "Globe Corp", domain="globe.test")
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
    page = restricted.get(f"/deals/{later.pk}/review/")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="conflict-hidden"' in body
    assert first.reference not in body and "Contoso Supply" not in body
    unrestricted = cast.a.client("admin").get(f"/deals/{later.pk}/review/").content.decode()
    assert first.reference in unrestricted and "Contoso Supply" in unrestricted
    # From the earlier registration, the later one of an unassigned partner is not listed either.
    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=False)
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p2"])
        from guardian.shortcuts import remove_perm

        remove_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p1"])
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
    earlier_page = restricted.get(f"/deals/{first.pk}/review/").content.decode()
    assert later.reference not in earlier_page and "Northwind" not in earlier_page
    assert later.reference in cast.a.client("admin").get(f"/deals/{first.pk}/review/").content.decode()


def test_restricted_manager_exception_count_covers_assigned_partners_only(cast, restricted):
    from posdata.models import RejectedRow, Upload
    from posdata.panels import sales_panel

    with cast.a.context():
        for key in ("p1", "p2", "p2"):
            upload = Upload.objects.create(
                partner=cast.a.partners[key],
                kind="pos",
                path="x",
                format="csv",
                checksum=f"{key}{Upload.objects.count()}",
            )
            RejectedRow.objects.create(
                upload=upload,
                partner=cast.a.partners[key],
                line=2,
                data={},
                errors=[],
                unknown_product=True,
                product_key="X",
            )
        manager = Membership.objects.select_related("partner", "user", "tenant").get(
            pk=cast.a.memberships["manager"].pk
        )
        admin = Membership.objects.select_related("partner", "user", "tenant").get(
            pk=cast.a.memberships["admin"].pk
        )
        assert sales_panel(manager).context["open_exceptions"] == 1
        assert sales_panel(admin).context["open_exceptions"] == 3


def test_partner_admin_cannot_change_region_or_expertise(cast):
    pk = cast.a.partners["p1"].pk
    client = cast.a.client("p1_admin")
    page = client.get(f"/partners/{pk}/edit/")
    assert b'name="region"' not in page.content and b'data-testid="change-request"' in page.content
    response = client.post(
        f"/partners/{pk}/edit/",
        {
            "name": "Northwind Distribution",
            "website": "https://nw.test",
            "region": "Everywhere",
            "expertise": ["pumps"],
        },
    )
    assert response.status_code == 302
    with cast.a.context():
        partner = Partner.objects.get(pk=pk)
        assert (partner.region, partner.expertise, partner.website) == ("West", [], "https://nw.test")


def test_the_service_ignores_region_and_expertise_from_partners(cast):
    from partners.services.onboarding import partner_profile_update

    with cast.a.context():
        partner_profile_update(
            partner=cast.a.partners["p1"],
            acting_membership=cast.a.memberships["p1_admin"],
            data={"region": "Everywhere", "expertise": ["pumps", "valves"], "phone": "+1 555"},
        )
        partner = Partner.objects.get(pk=cast.a.partners["p1"].pk)
        assert (partner.region, partner.expertise, partner.phone) == ("West", [], "+1 555")
        partner_profile_update(
            partner=cast.a.partners["p1"],
            acting_membership=cast.a.memberships["manager"],
            data={"region": "East"},
        )
        assert Partner.objects.get(pk=cast.a.partners["p1"].pk).region == "East"


def test_partner_admin_requests_a_change_from_its_managers(cast):
    pk = cast.a.partners["p1"].pk
    response = cast.a.client("p1_admin").post(
        f"/partners/{pk}/request-change/", {"message": "Add region East"}
    )
    assert response.status_code == 302
    with cast.a.context():
        note = Notification.objects.get(verb="partner.change_requested")
        assert note.recipient == cast.a.users["manager"] and "Add region East" in note.message
        assert (
            AuditEvent.objects.get(action="partner.profile_change_request").actor == cast.a.users["p1_admin"]
        )
    assert (
        cast.a.client("p1_user").post(f"/partners/{pk}/request-change/", {"message": "x"}).status_code == 403
    )
