"""Stock-out alerts: a load that takes a product's weeks of supply under the partner's threshold
notifies the partner's admins and its account managers once per crossing (not again on every load
while it stays under); going back above re-arms it; a POS file can cause the crossing too. The
threshold is vendor-managed per partner, audited."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from posdata.models import StockoutAlert, StockoutThreshold, Upload
from posdata.services import upload_process
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from tests.posdata.helpers import load, write
from tests.rebates.helpers import pos

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)
VERB = "pos.stockout_risk"


def _alerts(cast, who: str) -> list[str]:
    with cast.a.context():
        return list(
            Notification.objects.filter(recipient=cast.a.users[who], verb=VERB)
            .order_by("pk")
            .values_list("message", flat=True)
        )


def _stock(cast, tmp_path, weeks_later: int, on_hand: int, sku: str = "PMP-100"):
    day = DAY + datetime.timedelta(days=7 * weeks_later)
    path = write(
        tmp_path, f"Week Ending,Item,On Hand\n{day.isoformat()},{sku},{on_hand}\n", f"stock-{weeks_later}.csv"
    )
    upload, result = load(cast.a, "p1", path, kind="inventory")
    assert result["rows_loaded"] == 1, result
    return upload


@pytest.fixture
def selling_ten_a_week(cast, catalog):
    """P1 sold 130 pumps ten days before DAY: 10 a week over the trailing 13 weeks of every
    snapshot in the four weeks after DAY. P1's threshold: 4 weeks of supply."""
    with cast.a.context():
        pos(cast.a.partners["p1"], [(DAY - datetime.timedelta(days=10), 130, "1300.00")])
        StockoutThreshold.objects.create(partner=cast.a.partners["p1"], weeks=Decimal("4"))
    return catalog


def test_an_alert_fires_once_per_crossing_under_the_threshold(cast, tmp_path, selling_ten_a_week):
    _stock(cast, tmp_path, 0, 100)  # 10 weeks of supply
    assert _alerts(cast, "p1_admin") == []
    _stock(cast, tmp_path, 1, 30)  # 3 weeks: under 4
    first = _alerts(cast, "p1_admin")
    assert len(first) == 1 and "D100" in first[0] and "PMP-100 (3.0)" in first[0]
    _stock(cast, tmp_path, 2, 20)  # 2 weeks: still under, no second alert
    assert len(_alerts(cast, "p1_admin")) == 1
    _stock(cast, tmp_path, 3, 80)  # 8 weeks: back above, re-armed
    assert len(_alerts(cast, "p1_admin")) == 1
    _stock(cast, tmp_path, 4, 10)  # 1 week: a new crossing
    assert len(_alerts(cast, "p1_admin")) == 2
    # The account side hears too (no account manager assigned: the channel managers); nobody else.
    assert len(_alerts(cast, "manager")) == 2
    assert _alerts(cast, "p2_admin") == [] and _alerts(cast, "p1_user") == []
    with cast.a.context():
        state = StockoutAlert.objects.get(partner=cast.a.partners["p1"])
    assert state.below and state.weeks_of_supply == Decimal("1.0") and state.threshold == Decimal("4.0")


def test_running_a_finished_load_again_alerts_nobody_twice(cast, tmp_path, selling_ten_a_week):
    upload = _stock(cast, tmp_path, 0, 30)
    assert len(_alerts(cast, "p1_admin")) == 1
    with cast.a.context():
        job = Upload.objects.get(pk=upload.pk).job
        upload_process(job)
    assert len(_alerts(cast, "p1_admin")) == 1


def test_a_pos_file_that_speeds_up_sales_can_take_stock_under(cast, tmp_path, selling_ten_a_week):
    _stock(cast, tmp_path, 0, 60)  # 6 weeks at 10 a week
    assert _alerts(cast, "p1_admin") == []
    sales = f"Invoice,Date,SKU,Qty,Price\nBIG-1,{DAY.isoformat()},PMP-100,130,10\n"  # now 20 a week
    load(cast.a, "p1", write(tmp_path, sales, "sales.csv"))
    assert len(_alerts(cast, "p1_admin")) == 1  # 60 / 20 = 3 weeks


def test_without_a_threshold_of_its_own_a_partner_uses_four_weeks(cast, tmp_path, catalog):
    with cast.a.context():
        pos(cast.a.partners["p1"], [(DAY - datetime.timedelta(days=10), 130, "1300.00")])
    _stock(cast, tmp_path, 0, 45)  # 4.5 weeks
    assert _alerts(cast, "p1_admin") == []
    _stock(cast, tmp_path, 1, 35)  # 3.5 weeks
    assert len(_alerts(cast, "p1_admin")) == 1


def test_an_empty_shelf_without_sales_counts_as_under(cast, tmp_path, catalog):
    _stock(cast, tmp_path, 0, 0)
    assert len(_alerts(cast, "p1_admin")) == 1
    assert "PMP-100 (out of stock)" in _alerts(cast, "p1_admin")[0]


def test_vendor_staff_set_the_partners_threshold_audited(cast):
    p1 = cast.a.partners["p1"]
    url = f"/pos/inventory/partners/{p1.pk}/threshold/"
    response = cast.a.client("manager").post(url, {"weeks": "6.5"})
    assert response.status_code == 302
    with cast.a.context():
        assert StockoutThreshold.objects.get(partner=p1).weeks == Decimal("6.5")
        event = AuditEvent.objects.get(action="pos.stockout_threshold")
    assert event.partner_id == p1.pk and event.after["weeks"] == "6.5"
    page = cast.a.client("manager").get(f"/pos/inventory/?partner={p1.pk}").content.decode()
    assert 'data-testid="stockout-threshold"' in page and 'value="6.5"' in page


def test_partners_and_bad_numbers_cannot_set_a_threshold(cast):
    p1 = cast.a.partners["p1"]
    url = f"/pos/inventory/partners/{p1.pk}/threshold/"
    assert cast.a.client("p1_admin").post(url, {"weeks": "1"}).status_code == 403
    cast.a.client("manager").post(url, {"weeks": "-2"})
    cast.a.client("manager").post(url, {"weeks": "abc"})
    with cast.a.context():
        assert not StockoutThreshold.objects.exists()
        assert not AuditEvent.objects.filter(action="pos.stockout_threshold").exists()
    page = cast.a.client("p1_admin").get(f"/pos/inventory/?partner={p1.pk}").content.decode()
    assert 'data-testid="stockout-threshold"' not in page
