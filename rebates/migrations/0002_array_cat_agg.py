"""``rebates_array_cat_agg``: concatenates arrays while grouping (the calculation gathers the ids
of an accrual's source lines from its per-day groups in the same pass that sums them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rebates", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE OR REPLACE AGGREGATE rebates_array_cat_agg(anycompatiblearray) "
            "(SFUNC = array_cat, STYPE = anycompatiblearray, PARALLEL = SAFE)",
            reverse_sql="DROP AGGREGATE IF EXISTS rebates_array_cat_agg(anycompatiblearray)",
        )
    ]
