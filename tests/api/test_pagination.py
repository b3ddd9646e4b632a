"""Lists are cursor-paginated: following ``next`` visits every row once in a stable order, pages
are capped, ``?ordering=`` works on the allowed fields, and the number of queries of a page does
not grow with the rows on it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.deals.helpers import register
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _walk(client, url: str) -> list[dict]:
    rows: list[dict] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.json()
        rows += page["results"]
        url = page["next"]
    return rows


def test_following_next_visits_every_row_once_in_order(cast, keys):
    with cast.a.context():
        for n in range(7):
            ProductFactory(sku=f"PAGE-{n}")
    rows = _walk(keys.client("vendor"), "/api/v1/products/?page_size=3")
    skus = [row["sku"] for row in rows]
    assert skus == sorted(skus) and len(skus) == len(set(skus)) == 8  # 7 + the cast's PMP-100
    backwards = _walk(keys.client("vendor"), "/api/v1/products/?page_size=3&ordering=-sku")
    assert [row["sku"] for row in backwards] == sorted(skus, reverse=True)


def test_rows_added_while_paging_neither_repeat_nor_shift_the_pages(cast, keys):
    with cast.a.context():
        for n in range(4):
            ProductFactory(sku=f"B-{n}")
    client = keys.client("vendor")
    first = client.get("/api/v1/products/?page_size=2").json()
    with cast.a.context():
        ProductFactory(sku="A-0")  # sorts before everything already seen
    rest = _walk(client, first["next"])
    seen = [row["sku"] for row in first["results"] + rest]
    assert seen == ["B-0", "B-1", "B-2", "B-3", "PMP-100"]


def test_a_page_holds_at_most_500_rows(cast, keys):
    response = keys.client("vendor").get("/api/v1/products/?page_size=100000")
    assert response.status_code == 200
    assert response.json()["results"]  # capped, not refused


def _deal_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/deals/?page_size=100")
    assert response.status_code == 200
    return len(queries)


def test_the_queries_of_a_page_do_not_grow_with_its_rows(cast, keys):
    client = keys.client("vendor")
    client.get("/api/v1/deals/")  # the key's last use is written once a minute: not in the counts
    with cast.a.context():
        for n in range(3):
            register(
                cast,
                "p1_user",
                f"Small {n} Inc",
                domain=f"small{n}.com",
                lines=(("pumps", 1, "10"), ("valves", 2, "5")),
            )
    few = _deal_list_queries(client)
    with cast.a.context():
        for n in range(30):
            register(
                cast,
                "p2_user",
                f"Large {n} Inc",
                domain=f"large{n}.com",
                lines=(("pumps", 1, "10"), ("valves", 2, "5")),
            )
    many = _deal_list_queries(client)
    assert len(keys.client("vendor").get("/api/v1/deals/?page_size=100").json()["results"]) == 33
    assert many == few
