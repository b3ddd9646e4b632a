"""The migrated schema can be distributed by tenant (Citus), and every future table is born that way.

Runs the checks a Citus coordinator makes before ``create_distributed_table(t, 'tenant_id')``
over the schema the migrations built (pytest-django migrates the test database).
"""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from posdata.models import SkuXref
from prm.tenancy import distribution, rls
from prm.tenancy.checks import check_distributable_models
from prm.tenancy.context import tenant_context
from prm.tenancy.models import TenantModel
from tests.dbroles import schema_changes_as_owner  # noqa: F401

pytestmark = pytest.mark.django_db

# Indexes on tenant tables that cannot lead with tenant_id: GIN indexes (jsonb containment,
# trigram similarity) take no bigint column without the btree_gin extension. Every query that
# uses them filters by tenant_id as well.
GIN_INDEXES = {"deal_reg_lines_gin", "deal_reg_name_trgm", "direct_opp_lines_gin"}


def _catalogue() -> distribution.Catalogue:
    with connection.cursor() as cursor:
        return distribution.Catalogue.read(cursor)


def test_every_tenant_table_can_be_distributed_by_tenant_id():
    catalogue = _catalogue()
    assert len(catalogue.tenant_tables) >= 40
    assert distribution.readiness_violations(catalogue) == []


def test_the_tenant_tables_are_exactly_the_tenant_models_tables():
    assert _catalogue().tenant_tables == set(rls.tenant_tables())
    for model in apps.get_models():
        assert distribution.is_distributed(model) == issubclass(model, TenantModel), model


def test_every_primary_key_of_a_tenant_table_is_tenant_id_then_id():
    catalogue = _catalogue()
    keys = {c.table: c.columns for c in catalogue.constraints if c.kind == "p"}
    assert {keys[t] for t in catalogue.tenant_tables} == {("tenant_id", "id")}


def _unindexed_by_choice() -> set[tuple[str, str]]:
    """Foreign keys declared db_index=False (their lookups use a declared index, or none)."""
    return {
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        for field in model._meta.local_concrete_fields
        if field.is_relation and not field.db_index
    }


def test_foreign_keys_between_tenant_tables_pair_the_tenants_and_have_an_index():
    catalogue = _catalogue()
    unindexed = _unindexed_by_choice()
    tenant_fks = [
        fk
        for fk in catalogue.foreign_keys()
        if fk.table in catalogue.tenant_tables and fk.to_table in catalogue.tenant_tables
    ]
    assert len(tenant_fks) >= 60
    for fk in tenant_fks:
        assert fk.columns[0] == fk.to_columns[0] == "tenant_id", fk
        assert fk.deferrable and fk.deferred, fk
        if (fk.table, fk.columns[1]) not in unindexed:
            assert catalogue.has_index_leading_with(fk.table, fk.columns), fk


def test_indexes_of_tenant_tables_lead_with_tenant_id():
    catalogue = _catalogue()
    global_fk_columns = {
        (fk.table, fk.columns)
        for fk in catalogue.foreign_keys()
        if fk.table in catalogue.tenant_tables and fk.to_table not in catalogue.tenant_tables
    }
    not_leading = [
        (i.table, i.name, i.columns)
        for i in catalogue.indexes
        if i.table in catalogue.tenant_tables
        and i.columns[0] != "tenant_id"
        and (i.table, i.columns) not in global_fk_columns  # users: looked up across tenants
        and i.name not in GIN_INDEXES
    ]
    assert not_leading == []


def test_every_global_table_is_declared_a_reference_or_local_table():
    catalogue = _catalogue()
    assert distribution.unclassified_tables(catalogue) == []
    declared = {*distribution.REFERENCE_TABLES, *distribution.LOCAL_TABLES}
    assert declared <= set(catalogue.columns), "a declared table no longer exists"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("schema_changes_as_owner")
def test_the_readiness_check_names_a_key_a_unique_and_a_global_reference_without_the_tenant():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE probe_tenant (tenant_id bigint, id bigint PRIMARY KEY, code text UNIQUE)"
        )
        cursor.execute(
            "CREATE TABLE probe_global (id bigint PRIMARY KEY, t bigint, p bigint,"
            " FOREIGN KEY (t, p) REFERENCES partners_partner (tenant_id, id))"
        )
        cursor.execute(
            "CREATE TABLE probe_child (tenant_id bigint, id bigint, pid bigint REFERENCES probe_tenant (id),"
            " PRIMARY KEY (tenant_id, id))"
        )
    problems = "\n".join(distribution.readiness_violations(_catalogue()))
    assert "probe_tenant: primary key" in problems
    assert "probe_tenant: unique constraint" in problems
    assert "probe_global: global table references the distributed table partners_partner" in problems
    assert "probe_child: foreign key" in problems
    assert "probe_global" in distribution.unclassified_tables(_catalogue())


def test_a_converted_schema_needs_no_further_conversion():
    # What post_migrate (and pytest-django's flush after a transactional test) runs each time.
    assert distribution.make_distributable() == []


def test_the_models_raise_no_distribution_warning():
    assert [m.id for m in check_distributable_models()] == []


def test_a_row_cannot_reference_another_tenants_row(cast):
    with tenant_context(cast.a.tenant):
        xref = SkuXref.objects.create(
            partner=cast.a.partners["p1"], product=cast.a.partners["product"], partner_sku="NW-1"
        )
    with (
        tenant_context(cast.a.tenant),
        pytest.raises(IntegrityError, match="foreign key"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The composite key (tenant_id, product_id) must exist in prm_product: tenant B's product
        # id alone, which a single-column key would accept, does not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "UPDATE posdata_skuxref SET product_id = %s WHERE id = %s",
            [cast.b.partners["product"].pk, xref.pk],
        )


def test_the_citus_script_creates_reference_tables_then_tenant_tables_parents_first():
    out = io.StringIO()
    call_command("distribution_plan", "--json", stdout=out)
    statements = json.loads(out.getvalue())["statements"]
    reference = [s for s in statements if "create_reference_table" in s]
    distributed = [s.split("'")[1] for s in statements if "create_distributed_table" in s]
    assert statements[: len(reference)] == reference
    assert "SELECT create_reference_table('prm_tenant');" in reference
    assert set(distributed) == _catalogue().tenant_tables
    assert all("colocate_with" in s for s in statements[len(reference) + 1 :])
    for fk in _catalogue().foreign_keys():
        if fk.table in distributed and fk.to_table in distributed and fk.table != fk.to_table:
            assert distributed.index(fk.to_table) < distributed.index(fk.table), fk


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("schema_changes_as_owner")
def test_the_citus_script_is_refused_while_a_table_is_not_distributable():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE probe_tenant (tenant_id bigint, id bigint PRIMARY KEY)")
    with pytest.raises(CommandError, match="probe_tenant: primary key"):
        call_command("distribution_plan")
