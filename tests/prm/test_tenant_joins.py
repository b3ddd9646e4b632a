"""Queries between tenant tables carry the tenant, so that a distributed planner keeps each on one
shard: joins pair the tenant columns, related lookups and updates name the tenant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from partners.models import Partner
from posdata.models import SkuXref
from prm.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

XREF_JOINS_PARTNER = '"posdata_skuxref"."tenant_id" = "partners_partner"."tenant_id"'


def _sql(queryset) -> str:
    """The query's SQL without parentheses (Django wraps the right-hand column in them)."""
    return str(queryset.query).replace("(", "").replace(")", "")


def _xref(cast) -> SkuXref:
    return SkuXref.objects.create(
        partner=cast.a.partners["p1"], product=cast.a.partners["product"], partner_sku="NW-1"
    )


def test_select_related_joins_on_the_tenant_too(cast):
    with tenant_context(cast.a.tenant):
        _xref(cast)
        queryset = SkuXref.objects.select_related("partner", "product")
        sql = _sql(queryset)
        assert XREF_JOINS_PARTNER in sql
        assert '"posdata_skuxref"."tenant_id" = "prm_product"."tenant_id"' in sql
        assert [(x.partner.code, x.product.sku) for x in queryset] == [("D100", "PMP-100")]


def test_a_filter_across_a_relation_and_back_joins_on_the_tenant(cast):
    with tenant_context(cast.a.tenant):
        _xref(cast)
        forward = SkuXref.objects.filter(partner__code="D100")
        backward = Partner.objects.filter(sku_xrefs__partner_sku="NW-1")
        assert XREF_JOINS_PARTNER in _sql(forward)
        assert XREF_JOINS_PARTNER in _sql(backward)
        assert forward.count() == 1
        assert list(backward.values_list("code", flat=True)) == ["D100"]


def test_a_left_join_over_a_nullable_relation_keeps_rows_without_a_match(cast):
    with tenant_context(cast.a.tenant):
        rows = list(Partner.objects.select_related("current_tier").order_by("code"))
        sql = _sql(Partner.objects.select_related("current_tier"))
    assert "LEFT OUTER JOIN" in sql
    assert '"partners_partner"."tenant_id" = "partners_tier"."tenant_id"' in sql
    assert [p.code for p in rows] == ["D100", "D200"]


def test_following_a_relation_names_the_tenant(cast):
    with tenant_context(cast.a.tenant):
        xref = SkuXref.objects.get(pk=_xref(cast).pk)
        with CaptureQueriesContext(connection) as queries:
            assert xref.partner.code == "D100"
    assert '"partners_partner"."tenant_id" = ' in queries[0]["sql"]


def test_saving_updates_by_tenant_and_id(cast):
    partner = cast.a.partners["p1"]
    with tenant_context(cast.a.tenant), CaptureQueriesContext(connection) as queries:
        partner.name = "Northwind Europe"
        partner.save(update_fields=["name"])
    update = queries[-1]["sql"]
    assert update.startswith('UPDATE "partners_partner"')
    assert f'"partners_partner"."tenant_id" = {cast.a.tenant.pk}' in update
    with tenant_context(cast.a.tenant):
        assert Partner.objects.get(pk=partner.pk).name == "Northwind Europe"


def test_grouping_whole_rows_of_a_tenant_table_works(cast):
    # PostgreSQL accepts "GROUP BY id" for a whole row only when id is the table's key; the key is
    # (tenant_id, id), so the backend groups by the selected columns.
    with tenant_context(cast.a.tenant):
        _xref(cast)
        counts = {p.code: p.n for p in Partner.objects.annotate(n=Count("sku_xrefs")).order_by("code")}
    assert counts == {"D100": 1, "D200": 0}
