"""Migrations keep tenant tables distributable: creating, altering, dropping foreign keys between
tenant tables, a table that gets its tenant later, and an older schema converted in place.

The operations run the way ``migrate`` runs them (one schema editor per step) on probe models,
inside the test's transaction (PostgreSQL rolls the DDL back).
"""

from __future__ import annotations

import pytest
from django.db import connection, migrations, models
from django.db.migrations.state import ProjectState

from prm.tenancy import distribution
from tests.dbroles import schema_changes_as_owner  # noqa: F401

# DDL needs the owner role (the runtime role cannot create tables); statements commit, and the
# fixture drops the probe tables afterwards.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("schema_changes_as_owner")]

APP = "prm"


def _tenant() -> models.ForeignKey:
    return models.ForeignKey("prm.tenant", on_delete=models.PROTECT, related_name="+")


def _migrate(state: ProjectState, *operations) -> ProjectState:
    """Apply the operations as one migration."""
    with connection.schema_editor() as editor:
        for operation in operations:
            new_state = state.clone()
            operation.state_forwards(APP, new_state)
            operation.database_forwards(APP, editor, state, new_state)
            state = new_state
    return state


def _shape(table: str) -> dict[str, set]:
    with connection.cursor() as cursor:
        catalogue = distribution.Catalogue.read(cursor)
    return {
        "pk": {c.columns for c in catalogue.constraints if c.table == table and c.kind == "p"},
        "fk": {
            (c.columns, c.to_table, c.to_columns)
            for c in catalogue.constraints
            if c.table == table and c.kind == "f" and c.to_table != "prm_tenant"
        },
        "index": {i.columns for i in catalogue.indexes if i.table == table and not i.unique},
    }


@pytest.fixture
def state() -> ProjectState:
    state = ProjectState()
    state.add_model(
        migrations.state.ModelState(
            APP, "Tenant", [("id", models.BigAutoField(primary_key=True))], options={"db_table": "prm_tenant"}
        )
    )
    return _migrate(
        state,
        migrations.CreateModel(
            "ProbeParent", [("id", models.BigAutoField(primary_key=True)), ("tenant", _tenant())]
        ),
        migrations.CreateModel(
            "ProbeOther", [("id", models.BigAutoField(primary_key=True)), ("tenant", _tenant())]
        ),
        migrations.CreateModel(
            "ProbeChild",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("tenant", _tenant()),
                ("parent", models.ForeignKey("prm.probeparent", on_delete=models.CASCADE)),
                ("code", models.CharField(max_length=20, db_index=True)),
            ],
        ),
    )


def test_a_new_tenant_table_is_born_distributable(state):
    assert _shape("prm_probechild") == {
        "pk": {("tenant_id", "id")},
        "fk": {(("tenant_id", "parent_id"), "prm_probeparent", ("tenant_id", "id"))},
        # no index on tenant_id alone: the primary key leads with it
        "index": {("tenant_id", "parent_id"), ("tenant_id", "code")},
    }


def test_altering_a_foreign_key_keeps_one_composite_key(state):
    _migrate(
        state,
        migrations.AlterField(
            "probechild", "parent", models.ForeignKey("prm.probeparent", null=True, on_delete=models.SET_NULL)
        ),
    )
    shape = _shape("prm_probechild")
    assert shape["fk"] == {(("tenant_id", "parent_id"), "prm_probeparent", ("tenant_id", "id"))}
    assert ("tenant_id", "parent_id") in shape["index"]


def test_pointing_a_foreign_key_at_another_table_moves_the_composite_key(state):
    _migrate(
        state,
        migrations.AlterField(
            "probechild", "parent", models.ForeignKey("prm.probeother", on_delete=models.CASCADE)
        ),
    )
    assert _shape("prm_probechild")["fk"] == {
        (("tenant_id", "parent_id"), "prm_probeother", ("tenant_id", "id"))
    }


def test_dropping_a_foreign_key_and_an_index_removes_their_composites(state):
    _migrate(
        state,
        migrations.RemoveField("probechild", "parent"),
        migrations.AlterField("probechild", "code", models.CharField(max_length=20)),
    )
    assert _shape("prm_probechild") == {"pk": {("tenant_id", "id")}, "fk": set(), "index": set()}
    assert distribution.readiness_violations(_catalogue()) == []


def test_adding_a_foreign_key_and_deleting_the_table_it_points_at(state):
    state = _migrate(
        state,
        migrations.AddField(
            "probeother", "parent", models.ForeignKey("prm.probeparent", null=True, on_delete=models.CASCADE)
        ),
    )
    assert _shape("prm_probeother")["fk"] == {
        (("tenant_id", "parent_id"), "prm_probeparent", ("tenant_id", "id"))
    }
    _migrate(
        state,
        migrations.RemoveField("probeother", "parent"),
        migrations.DeleteModel("probechild"),
        migrations.DeleteModel("probeparent"),
    )
    assert _shape("prm_probeother")["fk"] == set()
    assert distribution.readiness_violations(_catalogue()) == []


def test_tables_that_get_their_tenant_in_a_later_migration_are_converted_when_it_ends(state):
    # An app's first migration creates its tables; a later one adds the tenant (apps that
    # depend on each other split their first migrations that way).
    state = _migrate(
        state,
        migrations.CreateModel("ProbeLateParent", [("id", models.BigAutoField(primary_key=True))]),
        migrations.CreateModel(
            "ProbeLateChild",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("parent", models.ForeignKey("prm.probelateparent", on_delete=models.CASCADE)),
            ],
        ),
    )
    assert _shape("prm_probelatechild")["fk"] == {(("parent_id",), "prm_probelateparent", ("id",))}
    _migrate(
        state,
        migrations.AddField("probelateparent", "tenant", _tenant()),
        migrations.AddField(
            "probelatechild",
            "other",
            models.ForeignKey("prm.probeparent", null=True, on_delete=models.CASCADE),
        ),
        migrations.AddField("probelatechild", "tenant", _tenant()),
    )
    assert _shape("prm_probelatechild") == {
        "pk": {("tenant_id", "id")},
        "fk": {
            (("tenant_id", "parent_id"), "prm_probelateparent", ("tenant_id", "id")),
            (("tenant_id", "other_id"), "prm_probeparent", ("tenant_id", "id")),
        },
        "index": {("tenant_id", "parent_id"), ("tenant_id", "other_id")},
    }


def _catalogue() -> distribution.Catalogue:
    with connection.cursor() as cursor:
        return distribution.Catalogue.read(cursor)


def test_an_older_schema_is_converted_in_place_and_only_once(cast):
    # The shape Django's stock backend gave tenant tables before this backend existed.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TABLE legacy_parent (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES prm_tenant (id));
            CREATE INDEX legacy_parent_tenant_id_x ON legacy_parent (tenant_id);
            CREATE TABLE legacy_child (
                id bigint PRIMARY KEY, tenant_id bigint NOT NULL, code varchar(20),
                parent_id bigint CONSTRAINT legacy_child_parent_fk REFERENCES legacy_parent (id)
                    ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED);
            INSERT INTO legacy_parent VALUES (1, %(tenant)s);
            INSERT INTO legacy_child VALUES (7, %(tenant)s, 'A', 1);
            SET CONSTRAINTS ALL IMMEDIATE;
            """,
            {"tenant": cast.a.tenant.pk},
        )
    editor = connection.schema_editor()
    for table, columns in (("legacy_child", ["parent_id"]), ("legacy_child", ["code"])):
        with connection.cursor() as cursor:
            cursor.execute(
                f'CREATE INDEX "{editor._create_index_name(table, columns)}" ON {table} ({columns[0]})'
            )
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE INDEX "{editor._create_index_name("legacy_parent", ["tenant_id"])}" ON legacy_parent (tenant_id)'
        )

    statements = distribution.make_distributable()

    assert statements
    assert _shape("legacy_child") == {
        "pk": {("tenant_id", "id")},
        "fk": {(("tenant_id", "parent_id"), "legacy_parent", ("tenant_id", "id"))},
        "index": {("tenant_id", "parent_id"), ("tenant_id", "code")},
    }
    # a declared index (not named like Django's field index) stays as it is
    assert _shape("legacy_parent")["index"] == {("tenant_id",)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'legacy_child_parent_fk'"
        )
        definition = cursor.fetchone()[0]
        # deleting a parent clears the reference, not the child's tenant
        assert "ON DELETE SET NULL (parent_id) DEFERRABLE INITIALLY DEFERRED" in definition
        cursor.execute("DELETE FROM legacy_parent")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT tenant_id IS NOT NULL, parent_id FROM legacy_child")
        assert cursor.fetchone() == (True, None)
    assert distribution.make_distributable() == []


def test_a_global_table_referencing_a_tenant_table_stops_the_conversion_with_its_name():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TABLE legacy_tenant_thing (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
            CREATE TABLE legacy_global_thing (id bigint PRIMARY KEY, thing_id bigint REFERENCES legacy_tenant_thing (id));
            """
        )
    with pytest.raises(distribution.DistributionError, match="legacy_global_thing"):
        distribution.make_distributable()
