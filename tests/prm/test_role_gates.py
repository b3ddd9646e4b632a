"""Views answer by the role matrix (prm/roles.py): allowed roles get the page, others 403,
anonymous visitors the login page."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from prm.roles import MATRIX, Perm, Role

pytestmark = pytest.mark.django_db

CAST_ROLES = {
    "admin": Role.VENDOR_ADMIN,
    "manager": Role.CHANNEL_MANAGER,
    "marketing": Role.MARKETING_MANAGER,
    "finance": Role.FINANCE,
    "p1_admin": Role.PARTNER_ADMIN,
    "p1_user": Role.PARTNER_USER,
}
# Core portal pages without arguments (apps test their own pages the same way).
CORE_PAGES = [
    "home",
    "people",
    "invite",
    "notifications",
    "notifications_badge",
    "jobs",
    "audit",
    "products",
    "imports",
]


def _perm_of(url: str) -> Perm:
    return resolve(url).func.required_perm


@pytest.mark.parametrize("who", list(CAST_ROLES))
@pytest.mark.parametrize("name", CORE_PAGES)
def test_page_is_open_exactly_to_the_roles_the_matrix_allows(cast, who, name):
    url = reverse(name)
    allowed = CAST_ROLES[who] in MATRIX[_perm_of(url)]
    response = cast.a.client(who).get(url)
    assert response.status_code == (200 if allowed else 403), (who, url)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("p1_user", "/audit/"),
        ("p1_user", "/imports/"),
        ("p1_user", "/people/"),
        ("p1_user", "/people/invite/"),
        ("finance", "/audit/"),
        ("marketing", "/imports/"),
        ("manager", "/audit/"),
        ("p1_admin", "/audit/"),
    ],
)
def test_wrong_role_gets_403(cast, who, path):
    response = cast.a.client(who).get(path)
    assert response.status_code == 403
    assert b"Your role does not include this page or action." in response.content


@pytest.mark.parametrize("path", ["/", "/audit/", "/imports/", "/people/", "/jobs/", "/products/"])
def test_anonymous_visitor_is_sent_to_login_with_next(cast, path):
    response = cast.a.client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_navigation_shows_only_what_the_role_may_open(cast):
    labels = {
        who: {str(item["label"]) for item in cast.a.client(who).get("/").context["nav"]}
        for who in ("admin", "p1_user", "finance")
    }
    assert {"Audit log", "Imports", "People"} <= labels["admin"]
    assert not {"Audit log", "Imports", "People"} & labels["p1_user"]
    # Finance imports exchange rates (and nothing else) on the imports page.
    assert {"Imports", "Exchange rates", "Payables"} <= labels["finance"]
    assert not {"Exchange rates", "Payables"} & labels["p1_user"]
    assert "My company" in labels["p1_user"] and "Partners" not in labels["p1_user"]


def test_area_badge_names_partner_portal_back_office_or_finance(cast):
    assert b"Partner portal" in cast.a.client("p1_user").get("/").content
    assert b"Back office" in cast.a.client("manager").get("/").content
    finance = cast.a.client("finance").get("/").content
    assert b"Back office" not in finance and b">Finance<" in finance
