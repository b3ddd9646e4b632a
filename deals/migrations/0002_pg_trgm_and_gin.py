"""pg_trgm (trusted extension: the database owner may create it) for near-match scoring, and GIN
indexes for product-line overlap and trigram look-ups."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS deal_reg_lines_gin ON deals_dealregistration USING gin (product_lines)",
            reverse_sql="DROP INDEX IF EXISTS deal_reg_lines_gin",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS deal_reg_name_trgm ON deals_dealregistration "
            "USING gin (customer_name_normalised gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS deal_reg_name_trgm",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS direct_opp_lines_gin ON deals_directopportunity USING gin (product_lines)",
            reverse_sql="DROP INDEX IF EXISTS direct_opp_lines_gin",
        ),
    ]
