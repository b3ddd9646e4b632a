"""The database backend (``ENGINE = "prm.db"``): PostgreSQL with the tenant bound per transaction."""
