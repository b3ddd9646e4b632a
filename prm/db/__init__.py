"""The database backend (``ENGINE = "prm.db"``): PostgreSQL with the tenant bound per transaction
and tenant tables in a shape Citus can distribute (schema editor in ``prm.tenancy.backend``)."""
