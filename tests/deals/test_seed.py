"""The demo seed step: every status, conflicts, extensions, won and lost values, leads in every
routing state, in seconds."""

from __future__ import annotations

import time

import pytest

from deals.models import Conflict, DealExtension, DealRegistration, DirectOpportunity, Lead, LeadAssignment
from deals.seed import seed_deals
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_seed_creates_a_meaningful_pipeline_quickly(cast):
    with cast.a.context():
        ProductFactory(sku="VLV-1", category="valves")
        started = time.monotonic()
        seed_deals(cast.a.tenant)
        assert time.monotonic() - started < 30
        assert DealRegistration.objects.count() >= 2000
        assert set(DealRegistration.objects.values_list("status", flat=True)) == set(
            DealRegistration.Status.values
        )
        assert (
            Conflict.objects.filter(kind="exact").exists() and Conflict.objects.filter(kind="near").exists()
        )
        assert DealExtension.objects.exists()
        assert DealRegistration.objects.filter(status="won", closed_value__gt=0).exists()
        assert DirectOpportunity.objects.exists()
        assert set(Lead.objects.values_list("status", flat=True)) == set(Lead.Status.values)
        assert LeadAssignment.objects.filter(outcome="pending").exists()
        seed_deals(cast.a.tenant)  # idempotent
        assert DealRegistration.objects.count() < 2400
