"""System checks: tenant models stay distributable by tenant (``prm.tenancy.distribution``).

The database backend makes keys and foreign keys composite by itself; what it cannot decide is
the meaning of a model: a uniqueness that does not include the tenant, a relation declared
without the tenant join, a many-to-many table without a tenant. These checks name them when the
model is written (``manage.py check``, ``makemigrations``); tests fail on any of them, and the
readiness test fails on the migrated schema as well.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models

from prm.tenancy.distribution import is_distributed
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


def _tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, TenantModel) and is_distributed(m)]


def _unique_field_warnings(model: type[models.Model]) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for field in model._meta.local_concrete_fields:
        if field.unique and not field.primary_key:
            hint = (
                "Use prm.tenancy.fields.TenantOneToOneField"
                if field.one_to_one
                else f"Drop unique=True and declare UniqueConstraint(fields=['tenant', '{field.name}'])"
            )
            found.append(
                checks.Warning(
                    f"{model._meta.label}.{field.name} is unique across tenants: a distributed table's "
                    "unique constraints must include tenant_id.",
                    hint=hint + " (unique per tenant).",
                    obj=model,
                    id="prm.W101",
                )
            )
    return found


def _unique_constraint_warnings(model: type[models.Model]) -> list[checks.CheckMessage]:
    groups: list[tuple[str, Any]] = [
        (c.name, c.fields) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)
    ]
    groups += [("unique_together", fields) for fields in model._meta.unique_together]
    found: list[checks.CheckMessage] = [
        checks.Warning(
            f"{model._meta.label}: unique constraint {name} {tuple(fields)} does not include the tenant.",
            hint="Put 'tenant' first in its fields (unique per tenant).",
            obj=model,
            id="prm.W102",
        )
        for name, fields in groups
        if "tenant" not in fields
    ]
    return found


def _relation_messages(model: type[models.Model]) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for field in model._meta.local_fields:
        if not field.is_relation or field.name == "tenant" or isinstance(field.related_model, str):
            continue
        related = field.related_model
        if (
            related is not None
            and issubclass(related, TenantModel)
            and not isinstance(field, TenantForeignKey)
        ):
            found.append(
                checks.Warning(
                    f"{model._meta.label}.{field.name} joins two tenant tables without the tenant.",
                    hint="Declare it with prm.tenancy.fields.TenantForeignKey (or TenantOneToOneField); "
                    "no migration changes.",
                    obj=model,
                    id="prm.W103",
                )
            )
    for field in model._meta.local_many_to_many:
        through: Any = field.remote_field.through
        if through._meta.auto_created:
            found.append(
                checks.Warning(
                    f"{model._meta.label}.{field.name}: the table Django creates for a many-to-many "
                    "relation has no tenant_id.",
                    hint="Declare a through model deriving from TenantModel.",
                    obj=model,
                    id="prm.W104",
                )
            )
    return found


def _global_reference_errors() -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if is_distributed(model) or not model._meta.managed:
            continue
        for field in model._meta.local_fields:
            related: Any = field.related_model if field.is_relation else None
            if related is None or isinstance(related, str) or not getattr(field, "db_constraint", False):
                continue
            if is_distributed(related):
                found.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name}: a global table cannot hold a foreign key to "
                        f"the tenant table {related._meta.db_table} (distributed tables are referenced "
                        "only from distributed tables).",
                        hint="Make the model a TenantModel, or set db_constraint=False and scope "
                        "reads by tenant.",
                        obj=model,
                        id="prm.E105",
                    )
                )
    return found


def check_distributable_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for model in _tenant_models():
        found += _unique_field_warnings(model)
        found += _unique_constraint_warnings(model)
        found += _relation_messages(model)
    return found + _global_reference_errors()
