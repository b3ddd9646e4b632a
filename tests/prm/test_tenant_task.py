"""Celery tasks that touch tenant data take ``tenant_id``, refuse to run without it, and run inside
the tenant context (scoped managers and RLS see that tenant only)."""

from __future__ import annotations

import pytest

from partners.models import Partner
from prm.celery import TenantRequired, TenantTask, app, tenant_task
from prm.tenancy.context import current_tenant

pytestmark = pytest.mark.django_db


@tenant_task(name="tests.prm.partner_codes_of_current_tenant")
def partner_codes_of_current_tenant(*, prefix: str = "") -> dict:
    tenant = current_tenant()
    return {
        "tenant": tenant.slug if tenant else None,
        "codes": [prefix + code for code in Partner.objects.values_list("code", flat=True)],
    }


def test_task_runs_inside_the_tenant_context_it_was_given(cast):
    result = partner_codes_of_current_tenant.delay(tenant_id=cast.b.tenant.pk, prefix="#").get()
    assert result == {"tenant": "globex", "codes": ["#R100"]}
    result = partner_codes_of_current_tenant.delay(tenant_id=cast.a.tenant.pk).get()
    assert result == {"tenant": "acme", "codes": ["D100", "D200"]}


def test_task_without_tenant_id_refuses_to_run(cast):
    with pytest.raises(TenantRequired):
        partner_codes_of_current_tenant.delay(prefix="#")
    with pytest.raises(TenantRequired):
        partner_codes_of_current_tenant()


def test_task_with_an_unknown_or_inactive_tenant_refuses_to_run(cast):
    with pytest.raises(TenantRequired):
        partner_codes_of_current_tenant.delay(tenant_id=999_999)
    cast.b.tenant.is_active = False
    cast.b.tenant.save(update_fields=["is_active"])
    with pytest.raises(TenantRequired):
        partner_codes_of_current_tenant.delay(tenant_id=cast.b.tenant.pk)


def test_context_is_reset_after_the_task(cast):
    partner_codes_of_current_tenant.delay(tenant_id=cast.a.tenant.pk)
    assert current_tenant() is None


def test_tenant_tasks_ack_late_and_are_requeued_when_the_worker_dies():
    assert isinstance(app.tasks["tests.prm.partner_codes_of_current_tenant"], TenantTask)
    assert partner_codes_of_current_tenant.acks_late is True
    assert partner_codes_of_current_tenant.reject_on_worker_lost is True
    conf = app.conf
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_for_each_tenant_fans_out_one_task_per_active_tenant(cast):
    from prm.tasks import for_each_tenant

    cast.b.tenant.is_active = False
    cast.b.tenant.save(update_fields=["is_active"])
    assert for_each_tenant.delay("tests.prm.partner_codes_of_current_tenant").get() == 1
