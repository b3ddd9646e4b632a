"""Fifty partners submit the same customer and product line at the same moment, each in its own
real transaction: exactly one submission is first, the other 49 are flagged as conflicts."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from deals.models import Conflict, DealRegistration
from deals.services.submission import registration_submit
from prm.roles import Role
from prm.tenancy.context import tenant_context
from tests.deals.helpers import register
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
N = 50


def test_fifty_concurrent_submissions_produce_exactly_one_first_registration(cast):
    tenant = cast.a.tenant
    work = []
    with tenant_context(tenant):
        for i in range(N):
            partner = PartnerFactory(code=f"C{i:03d}", name=f"Concurrent {i}")
            membership = MembershipFactory(
                user=UserFactory(email=f"c{i}@race.test"), role=Role.PARTNER_USER, partner=partner
            )
            cast.a.memberships[f"c{i}"] = membership
            # Same customer spelled differently by each partner; same domain.
            name = ["Acme Inc.", "ACME, Incorporated", "Acmé Corp", "acme llc"][i % 4]
            work.append((register(cast, f"c{i}", name, domain="acme.com", submit=False), membership))
    barrier = threading.Barrier(N)
    errors: list[BaseException] = []

    def submit(registration, membership):
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=30)
                registration_submit(registration=registration, acting_membership=membership)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=item) for item in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with tenant_context(tenant):
        submitted = DealRegistration.objects.filter(status=DealRegistration.Status.SUBMITTED)
        assert submitted.count() == N
        first = list(submitted.filter(conflict_flag=DealRegistration.ConflictFlag.NONE))
        assert len(first) == 1
        winner = first[0]
        assert submitted.filter(conflict_flag=DealRegistration.ConflictFlag.EXACT).count() == N - 1
        # The winner is the earliest submission, and every later one points at (at least) it.
        assert winner.submitted_at == min(r.submitted_at for r in submitted)
        later = Conflict.objects.filter(kind=Conflict.Kind.EXACT, other_registration=winner)
        assert later.values("registration").distinct().count() == N - 1
