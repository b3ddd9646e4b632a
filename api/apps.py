"""The REST API: API keys and their back office, the /api/ endpoints."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        import api.authentication
        import api.tasks  # noqa: F401  (registers the tasks with Celery)
        from api.keys import has_valid_key
        from api.uploads import JOB_KIND, TASK
        from prm.jobs.registry import JobKind, register_job_kind
        from prm.navigation import NavItem, register_nav
        from prm.request_limits import register_credential_check
        from prm.roles import Perm
        from prm.schedule import register_beat_entry

        register_nav(NavItem(_("API keys"), "api_keys:list", Perm.API_KEY_MANAGE, section="admin", order=95))
        register_credential_check(has_valid_key)
        register_beat_entry("api-purge-idempotency", "api.purge_idempotency_records", 3600.0)
        # Read, confirm and load: each step is done once, so the stuck-job sweep may start it again.
        register_job_kind(JOB_KIND, JobKind(task=TASK, label=_("POS file sent through the API")))
