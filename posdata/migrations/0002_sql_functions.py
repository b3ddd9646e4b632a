"""SQL helper of the loader: text -> date with a given day/month order. It returns NULL for text
it cannot read (never raises), so that one set-based statement can validate a whole file. It is
called once per distinct date text of a file, not once per row."""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION posdata_month(name text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE left(lower(name), 3)
  WHEN 'jan' THEN 1 WHEN 'feb' THEN 2 WHEN 'mar' THEN 3 WHEN 'mär' THEN 3 WHEN 'mrz' THEN 3
  WHEN 'apr' THEN 4 WHEN 'may' THEN 5 WHEN 'mai' THEN 5 WHEN 'jun' THEN 6 WHEN 'jul' THEN 7
  WHEN 'aug' THEN 8 WHEN 'sep' THEN 9 WHEN 'oct' THEN 10 WHEN 'okt' THEN 10 WHEN 'nov' THEN 11
  WHEN 'dec' THEN 12 WHEN 'dez' THEN 12 END
$$;

CREATE OR REPLACE FUNCTION posdata_date(v text, fmt text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  t text := btrim(v);
  m text[];
  y int; mo int; d int;
BEGIN
  IF t IS NULL OR t = '' THEN RETURN NULL; END IF;
  -- a time of day after the date (ERP exports of timestamps)
  t := regexp_replace(t, '[ T]+[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*([AaPp][Mm])?\s*(Z|[+-][0-9]{2}:?[0-9]{2})?$', '');
  m := regexp_match(t, '^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$');
  IF m IS NOT NULL THEN
    y := m[1]; mo := m[2]; d := m[3];
  ELSE
    m := regexp_match(t, '^([0-9]{4})([0-9]{2})([0-9]{2})$');
    IF m IS NOT NULL THEN
      y := m[1]; mo := m[2]; d := m[3];
    ELSE
      m := regexp_match(t, '^([0-9]{1,2})[-/. ]+([[:alpha:]]{3,9})\.?[-/. ,]+([0-9]{4}|[0-9]{2})$');
      IF m IS NOT NULL THEN
        d := m[1]; mo := posdata_month(m[2]); y := m[3];
      ELSE
        m := regexp_match(t, '^([[:alpha:]]{3,9})\.?[ -]+([0-9]{1,2}),?[ -]+([0-9]{4})$');
        IF m IS NOT NULL THEN
          mo := posdata_month(m[1]); d := m[2]; y := m[3];
        ELSE
          m := regexp_match(t, '^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}|[0-9]{2})$');
          IF m IS NULL THEN RETURN NULL; END IF;
          IF fmt = 'mdy' THEN mo := m[1]; d := m[2]; ELSE d := m[1]; mo := m[2]; END IF;
          y := m[3];
          IF length(m[3]) = 2 THEN y := CASE WHEN y < 70 THEN 2000 + y ELSE 1900 + y END; END IF;
        END IF;
      END IF;
    END IF;
  END IF;
  IF y < 100 THEN y := CASE WHEN y < 70 THEN 2000 + y ELSE 1900 + y END; END IF;
  IF mo IS NULL OR mo < 1 OR mo > 12 OR d < 1 OR y < 1900 OR y > 2199 THEN RETURN NULL; END IF;
  IF d > extract(day FROM (make_date(y, mo, 1) + interval '1 month - 1 day')) THEN RETURN NULL; END IF;
  RETURN make_date(y, mo, d);
END
$$;

ALTER TABLE posdata_stagingrow SET UNLOGGED;
"""

DROP = """
DROP FUNCTION IF EXISTS posdata_date(text, text);
DROP FUNCTION IF EXISTS posdata_month(text);
"""


class Migration(migrations.Migration):
    dependencies = [("posdata", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]
