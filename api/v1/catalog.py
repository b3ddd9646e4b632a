"""Partners and products: read by every key whose role sees them (a partner key: its own
partner only)."""

from __future__ import annotations

import django_filters
from rest_framework import serializers

from api.fields import AmountField
from api.filters import SinceFilter
from api.views import ReadOnlyResource
from partners.models import Partner
from partners.selectors import partners_for_membership
from prm.catalog.models import Product
from prm.catalog.selectors import products_visible
from prm.roles import Perm


class PartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = [
            "id",
            "code",
            "name",
            "type",
            "status",
            "country",
            "region",
            "tier",
            "email",
            "website",
            "created_at",
            "updated_at",
        ]


class PartnerFilter(django_filters.FilterSet):
    # Filters are declared, not generated from Meta.fields: generating them queries the model's
    # default manager, which needs a tenant (there is none while URLs load).
    code = django_filters.CharFilter()
    status = django_filters.MultipleChoiceFilter(choices=Partner.Status.choices)
    type = django_filters.ChoiceFilter(choices=Partner.Type.choices)
    country = django_filters.CharFilter()
    tier = django_filters.CharFilter()
    updated_since = SinceFilter()


class PartnerViewSet(ReadOnlyResource):
    """Partners of the tenant (a partner key: its own)."""

    resource = "partners"
    perm = Perm.PARTNER_VIEW
    model = Partner
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilter
    ordering_fields = ["code", "name", "created_at", "updated_at"]
    ordering = ["code"]

    def scoped_queryset(self):
        return partners_for_membership(self.membership)


class ProductSerializer(serializers.ModelSerializer):
    list_price = AmountField()

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "category",
            "unit_of_measure",
            "units_per_case",
            "list_price",
            "currency",
            "gtin",
            "is_active",
            "updated_at",
        ]


class ProductFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter()
    category = django_filters.CharFilter()
    gtin = django_filters.CharFilter()
    is_active = django_filters.BooleanFilter()
    updated_since = SinceFilter()


class ProductViewSet(ReadOnlyResource):
    """The product catalog."""

    resource = "products"
    perm = Perm.PRODUCT_VIEW
    model = Product
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["sku", "name", "updated_at"]
    ordering = ["sku"]

    def scoped_queryset(self):
        return products_visible()
