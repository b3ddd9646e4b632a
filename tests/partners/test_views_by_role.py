"""Every partners page for every role: allowed (200), wrong role (403), someone else's (404)."""

from __future__ import annotations

import pytest

from tests.partners import helpers

pytestmark = pytest.mark.django_db

ROLES = ["admin", "manager", "marketing", "finance", "p1_admin", "p1_user", "p2_admin"]


def _urls(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast, signed=True)
        from partners.models import Agreement

        agreement = Agreement.objects.get(partner=cast.a.partners["p1"])
        res = helpers.resource(cast)
        course = helpers.course()
        app = helpers.application()
    p1 = cast.a.partners["p1"].pk
    return program, {
        "/partners/": {
            "admin": 200,
            "manager": 200,
            "marketing": 200,
            "finance": 200,
            "p1_admin": 302,
            "p1_user": 302,
            "p2_admin": 302,
        },
        f"/partners/{p1}/": {
            "admin": 200,
            "manager": 200,
            "marketing": 200,
            "finance": 200,
            "p1_admin": 200,
            "p1_user": 200,
            "p2_admin": 404,
        },
        f"/partners/{p1}/edit/": {
            "admin": 200,
            "manager": 200,
            "marketing": 403,
            "finance": 403,
            "p1_admin": 200,
            "p1_user": 403,
            "p2_admin": 404,
        },
        f"/partners/{p1}/payout/": {
            "admin": 200,
            "manager": 403,
            "marketing": 403,
            "finance": 200,
            "p1_admin": 200,
            "p1_user": 403,
            "p2_admin": 404,
        },
        f"/partners/{p1}/scorecard/": {
            "admin": 200,
            "manager": 200,
            "marketing": 200,
            "finance": 200,
            "p1_admin": 200,
            "p1_user": 200,
            "p2_admin": 404,
        },
        f"/partners/{p1}/onboarding/": {
            "admin": 200,
            "manager": 200,
            "marketing": 200,
            "finance": 200,
            "p1_admin": 200,
            "p1_user": 200,
            "p2_admin": 404,
        },
        "/partners/applications/": {
            "admin": 200,
            "manager": 200,
            "marketing": 403,
            "finance": 403,
            "p1_admin": 403,
            "p1_user": 403,
            "p2_admin": 403,
        },
        f"/partners/applications/{app.pk}/": {
            "admin": 200,
            "manager": 200,
            "marketing": 403,
            "finance": 403,
            "p1_admin": 403,
            "p1_user": 403,
            "p2_admin": 403,
        },
        "/partners/programs/": {
            "admin": 200,
            "manager": 200,
            "marketing": 403,
            "finance": 403,
            "p1_admin": 403,
            "p1_user": 403,
            "p2_admin": 403,
        },
        f"/partners/programs/{program.pk}/": {
            "admin": 200,
            "manager": 200,
            "marketing": 403,
            "finance": 403,
            "p1_admin": 403,
            "p1_user": 403,
            "p2_admin": 403,
        },
        "/partners/tier-proposals/": {
            "admin": 200,
            "manager": 200,
            "marketing": 403,
            "finance": 403,
            "p1_admin": 403,
            "p1_user": 403,
            "p2_admin": 403,
        },
        "/partners/agreement/": {
            "admin": 404,
            "manager": 404,
            "marketing": 404,
            "finance": 404,
            "p1_admin": 200,
            "p1_user": 200,
            "p2_admin": 200,
        },
        f"/partners/agreements/{agreement.pk}/signed.pdf": {
            "admin": 200,
            "manager": 200,
            "marketing": 200,
            "finance": 200,
            "p1_admin": 200,
            "p1_user": 200,
            "p2_admin": 404,
        },
        "/partners/resources/": dict.fromkeys(ROLES, 200),
        f"/partners/resources/{res.pk}/download/": dict.fromkeys(ROLES, 200),
        "/partners/resources/new/": {
            "admin": 200,
            "manager": 200,
            "marketing": 200,
            "finance": 403,
            "p1_admin": 403,
            "p1_user": 403,
            "p2_admin": 403,
        },
        "/partners/training/": dict.fromkeys(ROLES, 200),
        f"/partners/training/{course.pk}/": dict.fromkeys(ROLES, 200),
        "/partners/certifications/": dict.fromkeys(ROLES, 200),
        "/partners/certifications/upload/": {
            "admin": 403,
            "manager": 403,
            "marketing": 403,
            "finance": 403,
            "p1_admin": 200,
            "p1_user": 200,
            "p2_admin": 200,
        },
        "/partners/contacts/export/": {
            "admin": 200,
            "manager": 200,
            "marketing": 200,
            "finance": 200,
            "p1_admin": 404,
            "p1_user": 404,
            "p2_admin": 404,
        },
    }


def test_every_page_answers_each_role_as_the_matrix_says(cast):
    _program, urls = _urls(cast)
    clients = {role: cast.a.client(role) for role in ROLES}
    wrong = []
    for url, expected in urls.items():
        for role, status in expected.items():
            got = clients[role].get(url).status_code
            if got != status:
                wrong.append((url, role, status, got))
    assert wrong == []


def test_anonymous_is_sent_to_login(cast):
    response = cast.a.client().get(f"/partners/{cast.a.partners['p1'].pk}/scorecard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_restricted_manager_sees_only_assigned_partners(cast):
    from guardian.shortcuts import assign_perm

    from prm.accounts.models import Membership

    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p2"])
    client = cast.a.client("manager")
    body = client.get("/partners/").content.decode()
    assert "Contoso Supply" in body and "Northwind Distribution" not in body
    assert client.get(f"/partners/{cast.a.partners['p1'].pk}/").status_code == 404


def test_vendor_admin_assigns_an_account_manager_and_the_directory_filters_by_it(cast):
    from prm.audit.models import AuditEvent

    admin = cast.a.client("admin")
    response = admin.post(
        f"/partners/{cast.a.partners['p1'].pk}/managers/", {"manager": cast.a.memberships["manager"].pk}
    )
    assert response.status_code == 302
    body = admin.get(f"/partners/?manager={cast.a.users['manager'].pk}").content.decode()
    assert "Northwind Distribution" in body and "Contoso Supply" not in body
    with cast.a.context():
        assert AuditEvent.objects.filter(action="partner.manager_assign").exists()
    assert (
        cast.a.client("manager").post(f"/partners/{cast.a.partners['p1'].pk}/managers/", {}).status_code
        == 403
    )


def test_directory_exports_csv_and_xlsx_with_filters(cast):
    with cast.a.context():
        helpers.program_with_partners(cast, signed=True)
    client = cast.a.client("manager")
    csv = b"".join(client.get("/partners/?export=csv&q=D100").streaming_content).decode("utf-8-sig")
    header, row = csv.strip().splitlines()[:2]
    assert header.startswith("code,name,type,country,region,program,tier,status")
    assert row.startswith("D100,Northwind Distribution") and ",yes," in row
    xlsx = client.get("/partners/?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    contacts = b"".join(client.get("/partners/contacts/export/").streaming_content).decode("utf-8-sig")
    assert cast.a.users["p1_admin"].email in contacts


def test_directory_query_count_does_not_grow_with_partners(cast, django_assert_max_num_queries):
    from tests.factories import PartnerFactory

    client = cast.a.client("manager")
    client.get("/partners/")
    with cast.a.context():
        PartnerFactory.create_batch(30)
    with django_assert_max_num_queries(14):
        assert client.get("/partners/?sort=-tier").status_code == 200
