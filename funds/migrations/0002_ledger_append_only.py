from django.db import migrations

# The fund ledger is evidence of what each partner was given and used: the database itself
# refuses to change or remove an entry (corrections are reversing entries).
FORWARD = """
CREATE OR REPLACE FUNCTION funds_ledger_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'fund ledger entries are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER funds_ledgerentry_immutable
    BEFORE UPDATE OR DELETE ON funds_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION funds_ledger_immutable();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS funds_ledgerentry_immutable ON funds_ledgerentry;
DROP FUNCTION IF EXISTS funds_ledger_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
