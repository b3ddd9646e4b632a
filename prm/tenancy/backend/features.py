"""PostgreSQL features, with GROUP BY not reduced to ``id`` on tenant tables."""

from __future__ import annotations

from django.db.backends.postgresql import features

from prm.tenancy.distribution import is_distributed


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model) -> bool:
        # Django groups by the primary key alone when it selects a whole row, relying on the
        # other columns depending on it. A tenant table's key is (tenant_id, id), which Django does
        # not know, so PostgreSQL would refuse "GROUP BY id": group by the selected columns.
        return super().allows_group_by_selected_pks_on_model(model) and not is_distributed(model)
