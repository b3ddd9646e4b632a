"""Pages of an annotated (GROUP BY) list are in a stable order: Django drops Meta.ordering there."""

from __future__ import annotations

import warnings

import pytest
from django.db.models import Count
from django.test import RequestFactory

from partners.models import Resource
from prm.views import paginate

pytestmark = pytest.mark.django_db


def test_an_annotated_list_is_paged_in_the_models_order_then_by_key(cast):
    with cast.a.context():
        for title in ("b", "a", "c", "a"):
            Resource.objects.create(title=title, category="guides", created_by=cast.a.users["admin"])
        qs = Resource.objects.annotate(n=Count("downloads"))
        assert not qs.ordered
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # UnorderedObjectListWarning would fail the test
            page = paginate(RequestFactory().get("/", {"page": "1"}), qs, per_page=3)
        rows = list(page.object_list)
        expected = sorted(Resource.objects.all(), key=lambda r: (r.category, r.title, r.pk))
        assert [r.pk for r in rows] == [r.pk for r in expected[:3]]
