"""Partner benchmarks: peer groups, Wilson-ranked rates, flags and constant query counts."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insights.benchmarks import benchmarks_compute, peer_groups
from partners.models import Partner
from tests.factories import PartnerFactory
from tests.insights.helpers import S, registration


def test_peer_group_falls_back_from_tier_and_region_to_tier_to_tenant(cast):
    with cast.a.context():
        Partner.objects.all().update(tier="Bronze", region="North")  # P1, P2: Bronze North (2)
        west = [PartnerFactory(tier="Gold", region="West") for _ in range(5)]
        east = PartnerFactory(tier="Gold", region="East")
        data = benchmarks_compute()
        groups = peer_groups(list(data.partners.values()))
        assert sorted(groups[west[0].pk][1]) == sorted(p.pk for p in west)
        assert "region West" in groups[west[0].pk][0]
        assert len(groups[east.pk][1]) == 6 and groups[east.pk][0] == "Tier Gold"
        assert len(groups[cast.a.partners["p1"].pk][1]) == 8
        assert groups[cast.a.partners["p1"].pk][0] == "All partners"


def test_win_rate_ranked_by_wilson_lower_bound_with_peer_median_and_percentile(cast):
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        for _ in range(2):
            registration(p1, S.WON, closed_on=datetime.date(2026, 1, 5))  # 2 of 2
        for n in range(10):
            registration(p2, S.WON if n < 8 else S.LOST, closed_on=datetime.date(2026, 1, 5))  # 8 of 10
        data = benchmarks_compute(today=datetime.date(2026, 6, 10))
        m1, m2 = data.partners[p1.pk].metrics["win_rate"], data.partners[p2.pk].metrics["win_rate"]
        assert m1.value == 1.0 and m2.value == 0.8
        assert round(m1.interval.low, 4) == 0.3424 and round(m2.interval.low, 4) == 0.4902
        # Ranked by the lower bound: 8 of 10 beats 2 of 2 (two partners: P2 75th, P1 25th).
        assert m2.percentile == 75.0 and m1.percentile == 25.0
        assert m1.peer_median == m2.peer_median == 0.9


def test_cycle_time_less_is_better(cast):
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        start = timezone.make_aware(datetime.datetime(2026, 1, 1, 12))
        registration(p1, S.WON, submitted=start, closed_on=datetime.date(2026, 1, 11))  # 10 days
        registration(p2, S.WON, submitted=start, closed_on=datetime.date(2026, 1, 31))  # 30 days
        data = benchmarks_compute(today=datetime.date(2026, 6, 10))
        assert data.partners[p1.pk].metrics["cycle_days"].value == 10.0
        assert data.partners[p1.pk].metrics["cycle_days"].percentile == 75.0
        assert data.partners[p2.pk].metrics["cycle_days"].percentile == 25.0
        assert data.partners[p1.pk].metrics["cycle_days"].peer_median == 20.0


def test_flags_falling_win_rate_idle_and_expiring_protections(cast):
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        today = timezone.localdate()
        from prm.lib.periods import quarter

        recent, before = quarter(today, 1)[0], quarter(today, 3)[0]
        for _ in range(10):
            registration(p1, S.LOST, closed_on=recent)
            registration(p1, S.WON, closed_on=before)
        reg = registration(p2, S.APPROVED, protection_until=today + datetime.timedelta(days=10))
        old = timezone.now() - datetime.timedelta(days=90)
        type(reg).objects.filter(partner=p2).update(updated_at=old, created_at=old, submitted_at=old)
        Partner.objects.filter(pk=p2.pk).update(created_at=old)
        data = benchmarks_compute()
        assert data.partners[p1.pk].flags == ["falling_win_rate"]
        assert data.partners[p2.pk].flags == ["idle", "expiring_protections"]
        assert data.partners[p2.pk].expiring == 1


def test_query_count_does_not_grow_with_partners(cast):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            benchmarks_compute()
        return len(queries)

    with cast.a.context():
        for _ in range(2):
            registration(PartnerFactory(), S.WON, closed_on=datetime.date(2026, 1, 5))
        few = count()
        for _ in range(10):
            registration(PartnerFactory(), S.WON, closed_on=datetime.date(2026, 1, 5))
        assert count() == few
