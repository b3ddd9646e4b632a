"""What apps plug into the core: seed steps in the order their declared dependencies give, beat
entries registered by the apps (no central dict), navigation entries for every app."""

from __future__ import annotations

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from prm import schedule, seed
from prm.navigation import _REGISTRY as NAVIGATION


@pytest.fixture
def isolated_steps(monkeypatch):
    steps: dict = {}
    monkeypatch.setattr(seed, "_STEPS", steps)
    return steps


def _noop(tenant, stdout=None) -> None:
    return None


def test_seed_steps_run_after_their_dependencies_whatever_the_registration_order(isolated_steps):
    seed.register_seed_step(_noop, name="rebates", after=("posdata", "deals"))
    seed.register_seed_step(_noop, name="deals", after=("partners",))
    seed.register_seed_step(_noop, name="posdata", after=("partners",))
    seed.register_seed_step(_noop, name="partners")
    order = [step.name for step in seed.ordered_steps()]
    assert order.index("partners") < order.index("deals") < order.index("rebates")
    assert order.index("posdata") < order.index("rebates")
    assert sorted(order) == ["deals", "partners", "posdata", "rebates"]


def test_a_seed_step_after_an_unknown_step_or_in_a_cycle_is_refused(isolated_steps):
    seed.register_seed_step(_noop, name="deals", after=("partnrs",))
    with pytest.raises(ImproperlyConfigured, match="unknown step"):
        seed.ordered_steps()
    isolated_steps.clear()
    seed.register_seed_step(_noop, name="a", after=("b",))
    seed.register_seed_step(_noop, name="b", after=("a",))
    with pytest.raises(ImproperlyConfigured, match="cycle"):
        seed.ordered_steps()


def test_the_installed_apps_seed_in_dependency_order():
    order = [step.name for step in seed.ordered_steps()]
    assert order[0] in {"fx_rates", "partners"}
    for app in ("deals", "posdata", "claims"):
        assert order.index("partners") < order.index(app)
    assert order.index("fx_rates") < order.index("claims")


def test_partner_people_are_listed_among_the_demo_logins_by_the_partners_app():
    logins = seed.demo_logins()
    assert "partner@northwind.test" in logins
    assert "acme/D100" in logins
    assert "admin@acme.test" in logins


def test_apps_register_their_beat_entries_into_the_schedule_beat_reads():
    beat = settings.CELERY_BEAT_SCHEDULE
    assert beat is schedule.BEAT_SCHEDULE
    assert beat["deals-review-sla"] == {
        "task": "prm.tasks.for_each_tenant",
        "schedule": crontab(minute=5),
        "args": ("deals.review_sla",),
    }
    # Platform-wide entries (per_tenant=False, e.g. the operations heartbeat) have no args.
    fanned_out = {entry["args"][0] for entry in beat.values() if "args" in entry}
    assert {
        "partners.scorecards_nightly",
        "deals.lead_timeouts",
        "prm.tasks.sweep_staging_tables",
    } <= fanned_out


def test_a_beat_entry_registered_twice_differently_is_refused(monkeypatch):
    monkeypatch.setattr(schedule, "BEAT_SCHEDULE", {})
    schedule.register_beat_entry("x-nightly", "x.nightly", crontab(hour=1))
    schedule.register_beat_entry("x-nightly", "x.nightly", crontab(hour=1))  # same again: fine (reloads)
    with pytest.raises(ValueError, match="registered twice"):
        schedule.register_beat_entry("x-nightly", "x.other", crontab(hour=1))


def test_every_app_contributes_its_own_navigation():
    names = {item.url_name.split(":")[0] for item in NAVIGATION if ":" in item.url_name}
    assert {"partners", "deals", "claims"} <= names
