"""PostgreSQL with tenant-distributable keys: ``ENGINE = "prm.tenancy.backend"`` (see ``prm.tenancy.distribution``)."""
