"""Finance: payables (read; a partner key sees its partner's, with the partner's view of their
status), payout batches (read; a finance key marks payments paid with the bank's reference, the
ERP hand-off back), and exchange rates (read; entered by keys acting as finance or vendor admin).
Every write is prm.finance's own service."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.fields import AmountField, DecimalInput, PartnerCodeField
from api.filters import SinceFilter
from api.views import ReadOnlyResource
from prm.finance.batch_selectors import batches_for_membership
from prm.finance.batches import PaymentConfirmation, payout_batch_mark_paid
from prm.finance.models import FxRate, Payable, PayoutBatch, PayoutPayment
from prm.finance.selectors import fx_rates, payables_for_membership
from prm.finance.services import fx_rate_create
from prm.lib.money import RATE_DECIMALS, RATE_DIGITS
from prm.roles import Perm


class PayableSerializer(serializers.ModelSerializer):
    partner = PartnerCodeField(read_only=True)
    amount = AmountField()

    class Meta:
        model = Payable
        fields = [
            "id",
            "reference",
            "source_type",
            "source_id",
            "partner",
            "amount",
            "currency",
            "due_date",
            "description",
            "status",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance: Payable):
        data = super().to_representation(instance)
        membership = self.context.get("membership")
        if membership is not None and membership.is_partner:
            # What the partner sees: open until the money has gone out (batching is the vendor's).
            data["status"] = instance.partner_status
        return data


class PayableFilter(django_filters.FilterSet):
    partner = django_filters.CharFilter(field_name="partner__code")
    status = django_filters.MultipleChoiceFilter(choices=Payable.Status.choices)
    currency = django_filters.CharFilter()
    source_type = django_filters.CharFilter()
    updated_since = SinceFilter()


class PayableViewSet(ReadOnlyResource):
    """What the vendor owes partners, one row per source line (claims, rebates, funds)."""

    resource = "payables"
    perm = Perm.PAYABLE_VIEW
    model = Payable
    serializer_class = PayableSerializer
    filterset_class = PayableFilter
    ordering_fields = ["due_date", "created_at", "updated_at"]
    ordering = ["due_date"]

    def scoped_queryset(self):
        return payables_for_membership(self.membership)


class PaymentSerializer(serializers.ModelSerializer):
    partner = PartnerCodeField(read_only=True)
    amount = AmountField()

    class Meta:
        model = PayoutPayment
        fields = ["partner", "status", "amount", "currency", "hold_reason", "payment_reference", "paid_on"]


class PayoutBatchSerializer(serializers.ModelSerializer):
    payments = PaymentSerializer(many=True, read_only=True)

    class Meta:
        model = PayoutBatch
        fields = [
            "id",
            "reference",
            "status",
            "currency",
            "note",
            "created_at",
            "approved_at",
            "exported_at",
            "paid_at",
            "payments",
        ]


class PaidInput(serializers.Serializer):
    partner = serializers.CharField(max_length=32, help_text="The partner's code.")
    reference = serializers.CharField(max_length=64, help_text="The bank's payment reference.")
    paid_on = serializers.DateField()


class MarkPaidSerializer(serializers.Serializer):
    payments = PaidInput(many=True, min_length=1, max_length=10_000)


class PayoutBatchFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PayoutBatch.Status.choices)


class PayoutBatchViewSet(ReadOnlyResource):
    """Payout batches with their payments (keys acting as finance or vendor admin)."""

    resource = "payables"
    perm = Perm.PAYOUT_BATCH_VIEW
    model = PayoutBatch
    serializer_class = PayoutBatchSerializer
    filterset_class = PayoutBatchFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def scoped_queryset(self):
        return batches_for_membership(self.membership).prefetch_related("payments__partner")

    @extend_schema(request=MarkPaidSerializer, responses=PayoutBatchSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        """Record the bank's reference and date for partners of an exported batch (a finance key);
        their payables become paid; the batch is paid with its last payment."""
        batch = get_object_or_404(self.scoped_queryset(), pk=pk)
        data = MarkPaidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = {row["partner"] for row in data.validated_data["payments"]}
        ids = dict(batch.payments.filter(partner__code__in=codes).values_list("partner__code", "partner_id"))
        unknown = sorted(codes - set(ids))
        if unknown:
            raise serializers.ValidationError(
                {"payments": [_("Not paid in this batch: %(codes)s.") % {"codes": ", ".join(unknown)}]}
            )
        confirmations = [
            PaymentConfirmation(
                partner_id=ids[row["partner"]], reference=row["reference"], paid_on=row["paid_on"]
            )
            for row in data.validated_data["payments"]
        ]
        payout_batch_mark_paid(batch=batch, acting_membership=self.membership, confirmations=confirmations)
        return Response(PayoutBatchSerializer(self.scoped_queryset().get(pk=batch.pk)).data)


class FxRateSerializer(serializers.ModelSerializer):
    rate = serializers.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, read_only=True)

    class Meta:
        model = FxRate
        fields = ["id", "base_currency", "quote_currency", "rate_date", "rate", "source", "created_at"]


class FxRateCreateSerializer(serializers.Serializer):
    base_currency = serializers.RegexField(r"^[A-Za-z]{3}$")
    quote_currency = serializers.RegexField(r"^[A-Za-z]{3}$")
    rate_date = serializers.DateField()
    rate = DecimalInput(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, min_value=0)
    source = serializers.CharField(max_length=64)


class FxRateFilter(django_filters.FilterSet):
    base_currency = django_filters.CharFilter()
    quote_currency = django_filters.CharFilter()
    rate_date_from = django_filters.DateFilter(field_name="rate_date", lookup_expr="gte")
    rate_date_to = django_filters.DateFilter(field_name="rate_date", lookup_expr="lte")


class FxRateViewSet(mixins.CreateModelMixin, ReadOnlyResource):
    """Exchange rates: one unit of ``base_currency`` buys ``rate`` units of ``quote_currency`` from
    ``rate_date`` on. A correction is a new rate with its own source; rows are never edited."""

    resource = "fx_rates"
    perm = Perm.FX_RATE_MANAGE
    model = FxRate
    serializer_class = FxRateSerializer
    filterset_class = FxRateFilter
    ordering_fields = ["rate_date", "created_at"]
    ordering = ["-rate_date"]

    def scoped_queryset(self):
        return fx_rates()

    @extend_schema(request=FxRateCreateSerializer, responses={201: FxRateSerializer})
    def create(self, request, *args, **kwargs):
        data = FxRateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rate = fx_rate_create(acting_membership=self.membership, **data.validated_data)
        return Response(FxRateSerializer(rate).data, status=status.HTTP_201_CREATED)
