from django.db import migrations

# The runtime role may create the POS loader's staging tables only in this schema (prm/db/roles.py
# grants it CREATE there); the app's own tables belong to the owner role.
STAGING = """
CREATE SCHEMA IF NOT EXISTS staging;
"""
STAGING_BACKWARD = "DROP SCHEMA IF EXISTS staging CASCADE;"

# UPDATE and DELETE were already refused row by row; TRUNCATE bypasses row triggers.
TRUNCATE_GUARD = """
CREATE TRIGGER prm_auditevent_no_truncate
    BEFORE TRUNCATE ON prm_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION prm_audit_immutable();
"""
TRUNCATE_GUARD_BACKWARD = "DROP TRIGGER IF EXISTS prm_auditevent_no_truncate ON prm_auditevent;"


class Migration(migrations.Migration):
    dependencies = [("prm", "0006_encrypt_mfa_secrets")]

    operations = [
        migrations.RunSQL(STAGING, STAGING_BACKWARD),
        migrations.RunSQL(TRUNCATE_GUARD, TRUNCATE_GUARD_BACKWARD),
    ]
