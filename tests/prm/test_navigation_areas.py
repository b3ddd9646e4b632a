"""The shell's navigation: entries grouped by area, role-aware, the current area marked."""

from __future__ import annotations

import re

import pytest

from prm.navigation import _REGISTRY as NAVIGATION
from prm.navigation import AREAS, NavItem, register_nav
from prm.roles import Perm


def _areas(response) -> dict[str, list[str]]:
    return {area["key"]: [str(i["label"]) for i in area["items"]] for area in response.context["nav_areas"]}


def _area_block(html: str, key: str) -> str:
    match = re.search(rf'<details [^>]*data-testid="nav-area-{key}".*?</details>', html, re.S)
    assert match, f"area {key} not rendered"
    return match.group(0)


def test_channel_manager_sees_the_areas_in_order_with_their_entries(cast):
    response = cast.a.client("manager").get("/")
    areas = _areas(response)
    assert list(areas) == ["partners", "deals", "channel_data", "incentives", "funds", "finance", "admin"]
    assert areas["deals"][:4] == ["Deals", "Review queue", "Pipeline dashboard", "Leads"]
    assert {"Partners", "Applications", "Programs"} <= set(areas["partners"])
    assert {"Claims", "Rebates"} <= set(areas["incentives"])
    assert {"Sell-through", "POS uploads"} <= set(areas["channel_data"])
    html = response.content.decode()
    for key, label in (
        ("deals", "Deals and leads"),
        ("channel_data", "Channel data"),
        ("admin", "Administration"),
    ):
        assert f'<summary class="nav-area-title">{label}</summary>' in _area_block(html, key)
    # Home stands above the areas, in no area.
    assert [str(i["label"]) for i in response.context["nav_top"]] == ["Home"]


def test_partner_user_sees_only_the_areas_and_entries_of_a_partner(cast):
    response = cast.a.client("p1_user").get("/")
    areas = _areas(response)
    entries = {label for labels in areas.values() for label in labels}
    # No payables, payout batches or remittances for a partner user: no Finance area at all.
    assert "finance" not in areas
    assert 'data-testid="nav-area-finance"' not in response.content.decode()
    assert (
        not {"Partners", "Applications", "Review queue", "Pipeline dashboard", "Audit log", "Imports"}
        & entries
    )
    assert {"My company", "Agreement"} <= set(areas["partners"])
    # Their own partner's forecast sits beside their deals and leads; no review queue or benchmarks.
    assert {"Deals", "Leads", "Forecast"} == set(areas["deals"])
    # The partner admin of the same partner also receives remittances: Finance appears for them.
    assert _areas(cast.a.client("p1_admin").get("/"))["finance"] == ["Remittances"]


def test_the_current_area_is_open_and_marked_and_only_the_best_entry_is_current(cast):
    response = cast.a.client("manager").get("/deals/review/")
    html = response.content.decode()
    deals = _area_block(html, "deals")
    assert 'data-active="true"' in deals and " open" in deals.split(">", 1)[0]
    assert re.search(r'href="/deals/review/" aria-current="page">Review queue<', deals)
    # /deals/ is a prefix of the page too, but the longer match is the current entry.
    assert not re.search(r'href="/deals/" aria-current', deals)
    for key in ("partners", "channel_data", "admin"):
        block = _area_block(html, key)
        assert 'data-active="false"' in block and " open" not in block.split(">", 1)[0]


def test_home_page_marks_no_area(cast):
    response = cast.a.client("manager").get("/")
    assert not any(area["active"] for area in response.context["nav_areas"])
    assert response.context["nav_top"][0]["active"]


def test_every_registered_entry_names_a_known_area_except_home():
    for item in NAVIGATION:
        if item.url_name == "home":
            assert item.area_key == ""
        else:
            assert item.area_key in AREAS, item.url_name


def test_an_entry_with_an_unknown_area_is_refused():
    with pytest.raises(ValueError, match="unknown area"):
        register_nav(NavItem("X", "home", Perm.DASHBOARD_VIEW, area="nowhere"))


def test_an_entry_registered_the_old_way_in_the_admin_section_lands_in_administration():
    assert NavItem("X", "jobs", Perm.JOB_VIEW, section="admin").area_key == "admin"
    assert NavItem("X", "jobs", Perm.JOB_VIEW).area_key == ""
