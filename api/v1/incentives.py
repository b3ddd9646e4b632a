"""Incentives: rebate statements (read), MDF/co-op fund balances (read) and fund requests (a
partner key creates and submits them; approval stays with people in the portal, where approval
levels and delegations name persons)."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.fields import AmountField, DecimalInput, PartnerCodeField
from api.views import ReadOnlyResource
from funds.models import ActivityType, FundAccount, FundRequest
from funds.selectors import (
    FLOW_KINDS,
    accounts_for_membership,
    balances_from_row,
    funds_for_membership,
    net_sums,
    requests_for_membership,
)
from funds.services.requests import RequestTerms, request_create, request_submit
from prm.lib.money import format_amount_str
from prm.roles import Perm
from rebates.models import Accrual
from rebates.selectors import statement_accruals

MEASURE = {"max_digits": 40, "decimal_places": 4, "read_only": True}


class RebateStatementSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.code", read_only=True)
    program_name = serializers.CharField(source="program.name", read_only=True)
    period_start = serializers.DateField(source="program.start_date", read_only=True)
    period_end = serializers.DateField(source="program.end_date", read_only=True)
    partner = PartnerCodeField(read_only=True)
    payee = serializers.EmailField(source="payee_user.email", allow_null=True, read_only=True)
    as_of = serializers.DateField(source="run.as_of", read_only=True)
    measure = serializers.DecimalField(**MEASURE)
    counted = serializers.DecimalField(**MEASURE)
    earned = AmountField()
    paid_before = AmountField()
    due = AmountField()

    class Meta:
        model = Accrual
        fields = [
            "id",
            "program",
            "program_name",
            "period_start",
            "period_end",
            "partner",
            "payee",
            "currency",
            "as_of",
            "measure",
            "counted",
            "tier",
            "rate",
            "earned",
            "paid_before",
            "due",
        ]


class StatementFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code")
    partner = django_filters.CharFilter(field_name="partner__code")


class RebateStatementViewSet(ReadOnlyResource):
    """The latest calculation of each rebate or SPIF program for each payee the key may see: what
    was earned, what was paid before and what is due (a partner key: its partner's)."""

    resource = "rebates"
    perm = Perm.REBATE_VIEW
    model = Accrual
    serializer_class = RebateStatementSerializer
    filterset_class = StatementFilter
    ordering_fields = ["id"]
    ordering = ["id"]

    def scoped_queryset(self):
        return statement_accruals(self.membership)


class BalancesSerializer(serializers.Serializer):
    """What the ledger gives: granted (allocated + accrued), available to request, committed to
    approved requests and not yet claimed, claimed, paid, expired."""

    granted = serializers.CharField()
    available = serializers.CharField()
    committed = serializers.CharField()
    claimed = serializers.CharField()
    paid = serializers.CharField()
    expired = serializers.CharField()


class FundAccountSerializer(serializers.ModelSerializer):
    """An account with its balances, derived from the ledger in the list's own query."""

    fund = serializers.CharField(source="fund.code", read_only=True)
    fund_name = serializers.CharField(source="fund.name", read_only=True)
    partner = PartnerCodeField(read_only=True)
    currency = serializers.CharField(source="fund.currency", read_only=True)
    balances = serializers.SerializerMethodField()

    class Meta:
        model = FundAccount
        fields = ["id", "fund", "fund_name", "partner", "currency", "balances"]

    @extend_schema_field(BalancesSerializer)
    def get_balances(self, account: FundAccount) -> dict[str, str]:
        balances = balances_from_row({str(kind): getattr(account, str(kind)) for kind in FLOW_KINDS})
        currency = account.fund.currency
        return {
            "granted": format_amount_str(balances.granted, currency),
            "available": format_amount_str(balances.available, currency),
            "committed": format_amount_str(balances.open_committed, currency),
            "claimed": format_amount_str(balances.claimed, currency),
            "paid": format_amount_str(balances.paid, currency),
            "expired": format_amount_str(balances.expired, currency),
        }


class FundAccountViewSet(ReadOnlyResource):
    """MDF and co-op fund balances per partner, derived from the append-only ledger (a partner key:
    its partner's accounts)."""

    resource = "funds"
    perm = Perm.FUND_VIEW
    model = FundAccount
    serializer_class = FundAccountSerializer
    ordering_fields = ["id"]
    ordering = ["id"]

    def scoped_queryset(self):
        # The balances of every account on the page in the page's own query (grouped by account).
        return accounts_for_membership(self.membership).annotate(**net_sums("entries__"))


class FundRequestSerializer(serializers.ModelSerializer):
    fund = serializers.CharField(source="fund.code", read_only=True)
    partner = PartnerCodeField(read_only=True)
    estimated_cost = AmountField()
    requested_amount = AmountField()
    approved_amount = AmountField(allow_null=True)

    class Meta:
        model = FundRequest
        fields = [
            "id",
            "reference",
            "fund",
            "partner",
            "status",
            "activity_type",
            "title",
            "description",
            "start_date",
            "end_date",
            "audience",
            "expected_leads",
            "currency",
            "estimated_cost",
            "requested_amount",
            "approved_amount",
            "level",
            "decision_reason",
            "created_at",
            "submitted_at",
            "approved_at",
        ]


class FundRequestCreateSerializer(serializers.Serializer):
    fund = serializers.CharField(max_length=40, help_text="The fund's code.")
    activity_type = serializers.ChoiceField(choices=ActivityType.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    audience = serializers.CharField(required=False, allow_blank=True, max_length=200)
    expected_leads = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    estimated_cost = DecimalInput(min_value=0)
    requested_amount = DecimalInput(min_value=0)
    submit = serializers.BooleanField(default=False, help_text="Send it for approval at once.")


class FundRequestFilter(django_filters.FilterSet):
    fund = django_filters.CharFilter(field_name="fund__code")
    partner = django_filters.CharFilter(field_name="partner__code")
    status = django_filters.MultipleChoiceFilter(choices=FundRequest.Status.choices)


class FundRequestViewSet(ReadOnlyResource):
    """Fund requests (a partner key: its partner's), created and submitted by partner keys."""

    resource = "funds"
    perm = Perm.FUND_VIEW
    model = FundRequest
    serializer_class = FundRequestSerializer
    filterset_class = FundRequestFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def scoped_queryset(self):
        return requests_for_membership(self.membership)

    @extend_schema(request=FundRequestCreateSerializer, responses={201: FundRequestSerializer})
    def create(self, request, *args, **kwargs):
        """A partner key requests money from a fund for a marketing activity (a draft, or sent for
        approval at once with ``submit``)."""
        data = FundRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fund = funds_for_membership(self.membership).filter(code=fields.pop("fund")).first()
        if fund is None:
            raise serializers.ValidationError({"fund": [_("No fund with this code is open to you.")]})
        submit = fields.pop("submit")
        with transaction.atomic():
            fund_request = request_create(
                fund=fund,
                partner=self.membership.partner,
                terms=RequestTerms(**fields),
                acting_membership=self.membership,
                submit=submit,
            )
        return Response(FundRequestSerializer(fund_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=FundRequestSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send a draft (or a request returned for changes) to its first approval level."""
        fund_request = get_object_or_404(self.scoped_queryset(), pk=pk)
        return Response(
            FundRequestSerializer(
                request_submit(request=fund_request, acting_membership=self.membership)
            ).data
        )
