"""Ship-and-debit: special pricing agreements (read) and claims (a distributor's system POSTs the
debit memo file and gets a job; the line verdicts follow; a vendor key approves, which creates the
payable). Every write is the claims app's own service."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.fields import AmountField, PartnerCodeField
from api.views import ReadOnlyResource
from claims.models import AgreementLine, Claim, ClaimLine, PricingAgreement
from claims.selectors import agreements_for_membership, claims_for_membership
from claims.services.claims import claim_approve, claim_submit
from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.roles import Perm


def _unit_price(**kwargs) -> serializers.DecimalField:
    """A price or debit per unit: exact (four decimals), not rounded to the currency."""
    return serializers.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, read_only=True, **kwargs
    )


class AgreementLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    book_cost = _unit_price()
    approved_cost = _unit_price()
    allowed_debit = _unit_price()
    max_resale_price = _unit_price(allow_null=True)
    remaining_quantity = serializers.IntegerField(read_only=True)

    class Meta:
        model = AgreementLine
        fields = [
            "sku",
            "book_cost",
            "approved_cost",
            "allowed_debit",
            "authorized_quantity",
            "consumed_quantity",
            "remaining_quantity",
            "max_resale_price",
        ]


class AgreementSerializer(serializers.ModelSerializer):
    partner = PartnerCodeField(read_only=True)
    lines = AgreementLineSerializer(many=True, read_only=True)

    class Meta:
        model = PricingAgreement
        fields = [
            "id",
            "number",
            "partner",
            "end_customer",
            "start_date",
            "end_date",
            "status",
            "currency",
            "version",
            "deal_reference",
            "lines",
            "updated_at",
        ]


class AgreementFilter(django_filters.FilterSet):
    number = django_filters.CharFilter()
    partner = django_filters.CharFilter(field_name="partner__code")
    status = django_filters.ChoiceFilter(choices=PricingAgreement.Status.choices)


class AgreementViewSet(ReadOnlyResource):
    """Special pricing agreements with consumed and remaining quantities (a partner key: its own)."""

    resource = "agreements"
    perm = Perm.SPA_VIEW
    model = PricingAgreement
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    ordering_fields = ["number", "start_date", "updated_at"]
    ordering = ["number"]

    def scoped_queryset(self):
        return agreements_for_membership(self.membership).prefetch_related("lines__product")


class ClaimSerializer(serializers.ModelSerializer):
    partner = PartnerCodeField(read_only=True)
    claimed_total = AmountField()
    approved_total = AmountField()
    job = serializers.IntegerField(source="job_id", allow_null=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "partner",
            "claim_date",
            "status",
            "currency",
            "line_count",
            "claimed_total",
            "approved_total",
            "error",
            "job",
            "submitted_at",
            "validated_at",
            "approved_at",
        ]


class ClaimCreateSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV or XLSX with agreement_number, invoice_number, invoice_line, ship_date, sku, quantity, "
        "unit_of_measure, end_customer, claimed_unit_debit, resale_price."
    )
    number = serializers.CharField(max_length=64, help_text="The debit memo number.")
    claim_date = serializers.DateField()


class ClaimAccepted(serializers.Serializer):
    job = serializers.IntegerField(help_text="Follow the validation at /api/v1/jobs/{job}/.")
    claim = ClaimSerializer()


class ClaimLineSerializer(serializers.ModelSerializer):
    quantity = _unit_price(allow_null=True)
    claimed_unit_debit = _unit_price(allow_null=True)
    allowed_unit_debit = _unit_price(allow_null=True)
    amount = AmountField(currency_field="claim.currency")

    class Meta:
        model = ClaimLine
        fields = [
            "line",
            "status",
            "codes",
            "agreement_number",
            "invoice_number",
            "invoice_line",
            "ship_date",
            "sku",
            "quantity",
            "unit_of_measure",
            "claimed_unit_debit",
            "allowed_unit_debit",
            "accepted_quantity",
            "amount",
            "override_reason",
        ]


class ClaimFilter(django_filters.FilterSet):
    partner = django_filters.CharFilter(field_name="partner__code")
    status = django_filters.MultipleChoiceFilter(choices=Claim.Status.choices)
    number = django_filters.CharFilter()


class ClaimViewSet(ReadOnlyResource):
    """Ship-and-debit claims and their line verdicts (a partner key: its own partner's)."""

    resource = "claims"
    perm = Perm.CLAIM_VIEW
    model = Claim
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    ordering_fields = ["submitted_at"]
    ordering = ["-submitted_at"]

    def scoped_queryset(self):
        return claims_for_membership(self.membership)

    def _claim(self, pk) -> Claim:
        return get_object_or_404(self.scoped_queryset(), pk=pk)

    @extend_schema(request={"multipart/form-data": ClaimCreateSerializer}, responses={202: ClaimAccepted})
    def create(self, request, *args, **kwargs):
        """A partner key files a debit memo for its partner; the lines are validated by a job."""
        data = ClaimCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        claim = claim_submit(
            partner=self.membership.partner,
            number=fields["number"],
            claim_date=fields["claim_date"],
            acting_membership=self.membership,
            file=fields["file"],
            original_name=fields["file"].name,
        )
        return Response(
            {"job": claim.job_id, "claim": ClaimSerializer(claim).data}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(responses=ClaimLineSerializer(many=True))
    @action(detail=True, methods=["get"], ordering_fields=["line"], ordering=["line"])
    def lines(self, request, pk=None):
        """Every line's verdict: accepted, adjusted or rejected, with the codes that applied."""
        claim = self._claim(pk)
        lines = ClaimLine.objects.filter(claim=claim).select_related("claim")
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(ClaimLineSerializer(page, many=True).data)

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A vendor key approves a reviewed claim: one payable for the approved total."""
        claim = claim_approve(claim=self._claim(pk), acting_membership=self.membership)
        return Response(ClaimSerializer(claim).data)
