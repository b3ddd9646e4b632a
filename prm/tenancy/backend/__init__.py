"""Schema editor and features of tenant-distributable tables, used by the ``prm.db`` backend
(see ``prm.tenancy.distribution``)."""
