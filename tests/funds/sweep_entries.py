from __future__ import annotations

from tests.sweep import Entry


def _pk(name: str):
    def build(cast):
        from tests.funds.helpers import scene

        return {"pk": scene(cast)[name].pk}

    return build


ENTRIES = {
    "funds:home": Entry(),
    "funds:fund_new": Entry(methods=("GET", "POST")),
    "funds:settings": Entry(methods=("GET", "POST")),
    "funds:dashboard": Entry(),
    "funds:fund_detail": Entry(kwargs=_pk("fund")),
    "funds:fund_edit": Entry(kwargs=_pk("fund"), methods=("GET", "POST")),
    "funds:period_new": Entry(kwargs=_pk("fund"), methods=("GET", "POST")),
    "funds:period_detail": Entry(kwargs=_pk("period")),
    "funds:allocate": Entry(kwargs=_pk("period"), methods=("POST",)),
    "funds:allocate_bulk": Entry(kwargs=_pk("period"), methods=("POST",)),
    "funds:accrue": Entry(kwargs=_pk("period"), methods=("POST",)),
    "funds:period_budget": Entry(kwargs=_pk("period"), methods=("POST",)),
    "funds:account_detail": Entry(kwargs=_pk("account"), partner_owned=True),
    "funds:entry_reverse": Entry(kwargs=_pk("entry"), methods=("POST",), partner_owned=True),
    "funds:requests": Entry(),
    "funds:request_new": Entry(methods=("GET", "POST")),
    "funds:request_detail": Entry(kwargs=_pk("request"), partner_owned=True),
    "funds:request_edit": Entry(kwargs=_pk("request"), methods=("GET", "POST"), partner_owned=True),
    "funds:request_submit": Entry(kwargs=_pk("request"), methods=("POST",), partner_owned=True),
    "funds:request_cancel": Entry(kwargs=_pk("request"), methods=("POST",), partner_owned=True),
    "funds:request_decide": Entry(kwargs=_pk("request"), methods=("POST",), partner_owned=True),
    "funds:request_link": Entry(kwargs=_pk("request"), methods=("POST",), partner_owned=True),
    "funds:claim_new": Entry(kwargs=_pk("request"), methods=("GET", "POST"), partner_owned=True),
    "funds:delegations": Entry(methods=("GET", "POST")),
    "funds:delegation_end": Entry(kwargs=_pk("delegation"), methods=("POST",)),
    "funds:claims": Entry(),
    "funds:claim_detail": Entry(kwargs=_pk("claim"), partner_owned=True),
    "funds:proof_upload": Entry(kwargs=_pk("claim"), methods=("POST",), partner_owned=True),
    "funds:claim_submit": Entry(kwargs=_pk("claim"), methods=("POST",), partner_owned=True),
    "funds:claim_review": Entry(kwargs=_pk("claim"), methods=("POST",), partner_owned=True),
    "funds:proof_download": Entry(kwargs=_pk("proof"), partner_owned=True),
}
