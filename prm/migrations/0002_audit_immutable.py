from django.db import migrations

# Audit rows are evidence: the database itself refuses to change or remove them.
FORWARD = """
CREATE OR REPLACE FUNCTION prm_audit_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER prm_auditevent_immutable
    BEFORE UPDATE OR DELETE ON prm_auditevent
    FOR EACH ROW EXECUTE FUNCTION prm_audit_immutable();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS prm_auditevent_immutable ON prm_auditevent;
DROP FUNCTION IF EXISTS prm_audit_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("prm", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
