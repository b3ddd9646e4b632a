"""Relations between two tenant models whose joins carry the tenant.

A query that joins two tenant tables on ``x_id = id`` alone may touch two shards once the tables
are distributed by tenant (Citus). ``TenantForeignKey`` adds ``AND other.tenant_id =
this.tenant_id`` to every join over the relation (``select_related``, filters across relations,
reverse joins) and ``tenant_id = ...`` to the lookup behind ``obj.relation``, so the distributed
planner routes each query to one shard. The condition is always true where the composite foreign
key holds, so results do not change. ``prm.tenancy.checks`` reports relations between tenant models
declared with a plain ``ForeignKey``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.lookups import Exact

from prm.tenancy.distribution import is_distributed


class TenantForeignKey(models.ForeignKey):
    """A ``ForeignKey`` from a tenant model to another one; joins compare the tenants too."""

    def get_extra_restriction(self, alias: str | None, related_alias: str | None) -> Any:
        # alias is the target model's table, related_alias this model's. Subquery pushdown passes
        # no alias for one side: the restriction cannot name both tables there, so none is added.
        if alias is None or related_alias is None or not self._joins_tenants():
            return None
        own: Any = self.model._meta.get_field("tenant")
        other: Any = self.related_model._meta.get_field("tenant")
        return Exact(own.get_col(related_alias), other.get_col(alias))

    def get_extra_descriptor_filter(self, instance: models.Model) -> dict[str, Any]:
        tenant_id = getattr(instance, "tenant_id", None)
        if tenant_id is None or not self._joins_tenants():
            return {}
        return {"tenant_id": tenant_id}

    def _joins_tenants(self) -> bool:
        return is_distributed(self.model) and is_distributed(self.related_model)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if type(self) is TenantForeignKey:
            # The column and its constraint are a ForeignKey's (the schema editor makes the
            # constraint composite from the tables' structure); only queries differ. Migrations
            # keep saying ForeignKey, so switching a field to this class changes no migration.
            path = "django.db.models.ForeignKey"
        return name, path, args, kwargs


class TenantOneToOneField(models.OneToOneField, TenantForeignKey):
    """A one-to-one relation between tenant models, unique per tenant.

    A plain ``OneToOneField`` puts a unique constraint on ``x_id`` alone, which a distributed
    table cannot have. This one leaves the column without it: declare
    ``UniqueConstraint(fields=["tenant", "<name>"])`` in the model's Meta. Its accessors stay
    those of a one-to-one relation (``partner.payout_details``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unique = False  # OneToOneField forces unique=True; the Meta constraint replaces it
