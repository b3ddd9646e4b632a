"""POS accruals name their lines by scope and the run's watermark (``pos_lines_to``) instead of a
load timestamp; accruals keep the revenue they cover; the id-gathering aggregate is unused."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rebates', '0002_array_cat_agg'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='accrual',
            name='lines_loaded_to',
        ),
        migrations.AddField(
            model_name='accrual',
            name='revenue',
            field=models.DecimalField(blank=True, decimal_places=16, max_digits=40, null=True),
        ),
        migrations.AddField(
            model_name='calculationrun',
            name='pos_lines_to',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunSQL(
            "DROP AGGREGATE IF EXISTS rebates_array_cat_agg(anycompatiblearray)",
            reverse_sql="CREATE OR REPLACE AGGREGATE rebates_array_cat_agg(anycompatiblearray) "
            "(SFUNC = array_cat, STYPE = anycompatiblearray, PARALLEL = SAFE)",
        ),
    ]
