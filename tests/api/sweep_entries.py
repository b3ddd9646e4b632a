"""Sweep entries of the API app: the key back office (session pages) and every REST endpoint
(``api=True``: swept with keys by tests/api/test_api_url_sweep.py)."""

from __future__ import annotations

from tests.api.conftest import issue
from tests.deals.helpers import register
from tests.sweep import Entry


def _key(cast):
    return {"pk": issue(cast.a, name="Swept key").key.pk}


def _partner(cast):
    return {"pk": cast.a.partners["p1"].pk}


def _product(cast):
    return {"pk": cast.a.partners["product"].pk}


def _deal(cast):
    return {"pk": register(cast, "p1_user").pk}


def _api(kwargs=None, methods=("GET",), partner_owned=False) -> Entry:
    return Entry(kwargs=kwargs, methods=methods, partner_owned=partner_owned, api=True)


DEAL_ACTIONS = ("submit", "start-review", "approve", "reject", "request-info", "won", "lost")

ENTRIES = {
    "api_keys:list": Entry(),
    "api_keys:create": Entry(methods=("GET", "POST")),
    "api_keys:rotate": Entry(kwargs=_key, methods=("POST",)),
    "api_keys:revoke": Entry(kwargs=_key, methods=("POST",)),
    "api:schema": Entry(public=True),
    "api:docs": Entry(public=True),
    "api:v1:partner-list": _api(),
    "api:v1:partner-detail": _api(_partner, partner_owned=True),
    "api:v1:product-list": _api(),
    "api:v1:product-detail": _api(_product),
    "api:v1:deal-list": _api(methods=("GET", "POST")),
    "api:v1:deal-detail": _api(_deal, partner_owned=True),
    **{
        f"api:v1:deal-{action}": _api(_deal, methods=("POST",), partner_owned=True) for action in DEAL_ACTIONS
    },
}
