"""SQL helper of claim validation: text -> date, NULL for text it cannot read (never raises), so
one set-based statement can validate a whole claim file. Called once per distinct ship date.
Reads ISO dates (with or without a time), YYYYMMDD, DD.MM.YYYY (European) and MM/DD/YYYY (US)."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION claims_date(v text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  t text := btrim(v);
  m text[];
  y int; mo int; d int;
BEGIN
  IF t IS NULL OR t = '' THEN RETURN NULL; END IF;
  t := regexp_replace(t, '[ T]+[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*(Z|[+-][0-9]{2}:?[0-9]{2})?$', '');
  m := regexp_match(t, '^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$');
  IF m IS NOT NULL THEN
    y := m[1]; mo := m[2]; d := m[3];
  ELSE
    m := regexp_match(t, '^([0-9]{4})([0-9]{2})([0-9]{2})$');
    IF m IS NOT NULL THEN
      y := m[1]; mo := m[2]; d := m[3];
    ELSE
      m := regexp_match(t, '^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$');
      IF m IS NOT NULL THEN
        d := m[1]; mo := m[2]; y := m[3];
      ELSE
        m := regexp_match(t, '^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$');
        IF m IS NULL THEN RETURN NULL; END IF;
        mo := m[1]; d := m[2]; y := m[3];
      END IF;
    END IF;
  END IF;
  IF mo < 1 OR mo > 12 OR d < 1 OR y < 1900 OR y > 2199 THEN RETURN NULL; END IF;
  IF d > extract(day FROM (make_date(y, mo, 1) + interval '1 month - 1 day')) THEN RETURN NULL; END IF;
  RETURN make_date(y, mo, d);
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS claims_date(text);")]
