from __future__ import annotations

from tests.sweep import Entry


def _p1(cast):
    return {"pk": cast.a.partners["p1"].pk}


ENTRIES = {
    "partners:list": Entry(),
    "partners:mine": Entry(),
    "partners:detail": Entry(kwargs=_p1, partner_owned=True),
}
