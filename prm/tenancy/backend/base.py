"""Django's PostgreSQL backend, with the schema editor and features of tenant-distributable tables."""

from __future__ import annotations

from django.db.backends.postgresql import base

from prm.tenancy.backend.features import DatabaseFeatures
from prm.tenancy.backend.schema import DatabaseSchemaEditor


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
    features_class = DatabaseFeatures
