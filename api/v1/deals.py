"""Deal registrations: a partner key registers (and submits) deals for its partner; a vendor key
reviews them (start review, approve, reject, ask for information) and either side reports the
outcome. Every status change is the deals app's own service (the API is one more caller)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.fields import AmountField, DecimalInput
from api.filters import SinceFilter
from api.views import ReadOnlyResource
from deals.models import DealLine, DealRegistration
from deals.selectors import get_registration_for_membership_or_404, registrations_for_membership
from deals.services.drafts import registration_create
from deals.services.outcome import registration_mark_lost, registration_mark_won
from deals.services.review import (
    registration_approve,
    registration_reject,
    registration_request_info,
    registration_start_review,
)
from deals.services.submission import registration_submit
from prm.roles import Perm


class DealLineSerializer(serializers.ModelSerializer):
    value = AmountField(currency_field="registration.currency")

    class Meta:
        model = DealLine
        fields = ["product_line", "quantity", "value", "added_after_approval"]


class DealSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code", read_only=True)
    value = AmountField()
    closed_value = AmountField(allow_null=True)
    lines = DealLineSerializer(many=True, read_only=True)

    class Meta:
        model = DealRegistration
        fields = [
            "id",
            "reference",
            "partner",
            "status",
            "customer_name",
            "customer_domain",
            "country",
            "address",
            "contact_name",
            "contact_email",
            "contact_phone",
            "currency",
            "value",
            "lines",
            "expected_close_date",
            "deal_type",
            "competitors",
            "notes",
            "conflict_flag",
            "submitted_at",
            "review_due_at",
            "decided_at",
            "protection_until",
            "discount_pct",
            "rejection_code",
            "rejection_reason",
            "info_request",
            "closed_value",
            "closed_on",
            "lost_reason",
            "created_at",
            "updated_at",
        ]


class DealLineInput(serializers.Serializer):
    product_line = serializers.CharField(max_length=100)
    quantity = serializers.IntegerField(min_value=1, default=1)
    value = DecimalInput(min_value=0)


class DealCreateSerializer(serializers.Serializer):
    customer_name = serializers.CharField(max_length=200)
    customer_domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", help_text="ISO 3166-1 alpha-2")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$", required=False, help_text="ISO 4217; default: the portal's"
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    deal_type = serializers.ChoiceField(choices=DealRegistration.DealType.choices, required=False)
    competitors = serializers.CharField(max_length=300, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    lines = DealLineInput(many=True, min_length=1, max_length=200)
    submit = serializers.BooleanField(
        default=False, help_text="Submit at once (the conflict check runs); otherwise a draft is kept."
    )


class ApproveSerializer(serializers.Serializer):
    protection_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    discount_pct = DecimalInput(min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RejectSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=DealRegistration.RejectionCode.choices)
    reason = serializers.CharField(max_length=2000)


class RequestInfoSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=2000)


class WonSerializer(serializers.Serializer):
    closed_value = DecimalInput(min_value=0)
    closed_on = serializers.DateField()


class LostSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class DealFilter(django_filters.FilterSet):
    partner = django_filters.CharFilter(field_name="partner__code")
    status = django_filters.MultipleChoiceFilter(choices=DealRegistration.Status.choices)
    country = django_filters.CharFilter()
    conflict_flag = django_filters.ChoiceFilter(choices=DealRegistration.ConflictFlag.choices)
    deal_type = django_filters.ChoiceFilter(choices=DealRegistration.DealType.choices)
    updated_since = SinceFilter()


class DealViewSet(mixins.CreateModelMixin, ReadOnlyResource):
    """Deal registrations the key may see (a partner key: its partner's)."""

    resource = "deals"
    perm = Perm.DEAL_VIEW
    model = DealRegistration
    serializer_class = DealSerializer
    filterset_class = DealFilter
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at"]

    def scoped_queryset(self):
        return registrations_for_membership(self.membership).prefetch_related("lines__registration")

    def _deal(self, pk) -> DealRegistration:
        """Through the selector, before the input is read: another partner's or tenant's
        registration is a 404 whatever was sent."""
        return get_registration_for_membership_or_404(self.membership, pk)

    def _answer(self, registration: DealRegistration, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.scoped_queryset().get(pk=registration.pk)
        return Response(DealSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _transition(
        self, pk, serializer_class: type[serializers.Serializer], service: Callable[..., Any]
    ) -> Response:
        """One review or outcome transition: the registration through the selector first, then
        the body validated by its serializer and handed to the deals service as keywords."""
        registration = self._deal(pk)
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            service(registration=registration, acting_membership=self.membership, **data.validated_data)
        )

    @extend_schema(request=DealCreateSerializer, responses={201: DealSerializer})
    def create(self, request, *args, **kwargs):
        """Register a deal for the key's partner (partner keys), as a draft or submitted at once."""
        data = DealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        lines = fields.pop("lines")
        submit = fields.pop("submit")
        with transaction.atomic():
            registration = registration_create(acting_membership=self.membership, data=fields, lines=lines)
            if submit:
                registration = registration_submit(
                    registration=registration, acting_membership=self.membership
                )
        return self._answer(registration, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft (or a registration sent back for information): the conflict check runs."""
        registration = registration_submit(registration=self._deal(pk), acting_membership=self.membership)
        return self._answer(registration)

    @extend_schema(request=None, responses=DealSerializer)
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        """A vendor key takes a submitted registration into review."""
        registration = registration_start_review(
            registration=self._deal(pk), acting_membership=self.membership
        )
        return self._answer(registration)

    @extend_schema(request=ApproveSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: protection (default from policy) and the registration discount (default from tier)."""
        return self._transition(pk, ApproveSerializer, registration_approve)

    @extend_schema(request=RejectSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(pk, RejectSerializer, registration_reject)

    @extend_schema(request=RequestInfoSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"], url_path="request-info")
    def request_info(self, request, pk=None):
        return self._transition(pk, RequestInfoSerializer, registration_request_info)

    @extend_schema(request=WonSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def won(self, request, pk=None):
        return self._transition(pk, WonSerializer, registration_mark_won)

    @extend_schema(request=LostSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def lost(self, request, pk=None):
        return self._transition(pk, LostSerializer, registration_mark_lost)
