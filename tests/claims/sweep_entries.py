from __future__ import annotations

from tests.sweep import Entry


def _agreement(cast):
    from tests.claims.helpers import agreement

    return {"pk": agreement(cast, "SPA-SWEEP").pk}


def _claim(cast):
    from tests.claims.helpers import agreement, line, submit

    agreement(cast, "SPA-1")
    return {"pk": submit(cast, [line()], number="DM-SWEEP").pk}


def _line(cast):
    from tests.claims.helpers import agreement, line, submit

    agreement(cast, "SPA-1")
    return {"pk": submit(cast, [line()], number="DM-SWEEP").lines.get().pk}


ENTRIES = {
    "claims:list": Entry(),
    "claims:new": Entry(methods=("GET", "POST")),
    "claims:enter": Entry(methods=("GET", "POST")),
    "claims:detail": Entry(kwargs=_claim, partner_owned=True),
    "claims:approve": Entry(kwargs=_claim, methods=("POST",), partner_owned=True),
    "claims:response": Entry(kwargs=_claim, partner_owned=True),
    "claims:line_override": Entry(kwargs=_line, methods=("POST",), partner_owned=True),
    "claims:agreements": Entry(),
    "claims:agreement_new": Entry(methods=("GET", "POST")),
    "claims:agreement_detail": Entry(kwargs=_agreement, partner_owned=True),
    "claims:agreement_amend": Entry(kwargs=_agreement, methods=("GET", "POST"), partner_owned=True),
    "claims:agreement_cancel": Entry(kwargs=_agreement, methods=("POST",), partner_owned=True),
}
ENTRIES["claims:reports"] = Entry()
ENTRIES["claims:settings"] = Entry(methods=("GET", "POST"))
