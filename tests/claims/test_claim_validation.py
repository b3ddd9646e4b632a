"""Every code of DOMAIN.md's table alone and in combination, unit conversion, cumulative quantity
across claims, duplicates within and across claims and the resubmission exemption."""

from __future__ import annotations

import pytest

from tests.claims.helpers import agreement, line, submit, verdicts

pytestmark = pytest.mark.django_db


def test_a_clean_line_is_accepted_at_the_claimed_debit(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line()])
        assert claim.status == "in_review"
        assert verdicts(claim) == [("accepted", [], 2, "40.0000")]
        assert str(claim.approved_total) == "40.0000"
