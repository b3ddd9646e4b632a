"""Leads and direct opportunities: a vendor key creates and routes leads and keeps the vendor's own
pipeline in step with the CRM (upsert by the CRM's id); a partner key accepts or declines the
leads offered to its partner. Every change is the deals app's own service."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.fields import AmountField, DecimalInput
from api.v1.deals import DealSerializer
from api.views import ReadOnlyResource
from deals.models import DirectOpportunity, Lead
from deals.selectors import direct_opportunities, leads_for_membership
from deals.services.leads import LEAD_FIELDS, lead_accept, lead_create, lead_decline, lead_route
from deals.services.opportunities import direct_opportunity_upsert
from prm.accounts.models import User
from prm.roles import Perm
from prm.workflow import DomainError


class LeadSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code", allow_null=True, read_only=True)
    value = AmountField()

    class Meta:
        model = Lead
        fields = ["id", *LEAD_FIELDS, "status", "partner", "offer_due_at", "routing_note", "created_at"]


class LeadCreateSerializer(serializers.Serializer):
    company = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Za-z]{2}$")
    region = serializers.CharField(max_length=64, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=64, required=False, allow_blank=True)
    product_interest = serializers.CharField(max_length=100)
    value = DecimalInput(min_value=0, required=False)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    route = serializers.BooleanField(
        default=True, help_text="Offer it to a partner by the routing rules at once."
    )


class LeadAcceptSerializer(serializers.Serializer):
    owner = serializers.EmailField(help_text="E-mail of the colleague at the partner who works the lead.")


class LeadDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class LeadDeclinedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    declined = serializers.BooleanField()


class LeadFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Lead.Status.choices)
    country = django_filters.CharFilter()
    partner = django_filters.CharFilter(field_name="partner__code")


class LeadViewSet(mixins.CreateModelMixin, ReadOnlyResource):
    """Leads: vendor keys see all; a partner key the leads offered to or accepted by its partner
    (once declined, a lead is no longer the partner's to see)."""

    resource = "leads"
    perm = Perm.LEAD_VIEW
    model = Lead
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def scoped_queryset(self):
        leads = leads_for_membership(self.membership)
        if self.membership.is_partner:
            leads = leads.filter(partner_id=self.membership.partner_id)
        return leads

    def _lead(self, pk) -> Lead:
        """Before the input is read: a lead that is not the key's to see is a 404."""
        return get_object_or_404(self.scoped_queryset(), pk=pk)

    @extend_schema(request=LeadCreateSerializer, responses={201: LeadSerializer})
    def create(self, request, *args, **kwargs):
        """A vendor key adds a lead; by default it is routed to a partner at once."""
        data = LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        route = fields.pop("route")
        lead = lead_create(acting_membership=self.membership, data=fields, route=route)
        return Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        """Route (or route again) a lead waiting in the vendor queue."""
        lead = lead_route(lead=self._lead(pk), acting_membership=self.membership)
        return Response(LeadSerializer(lead).data)

    @extend_schema(request=LeadAcceptSerializer, responses={201: DealSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """A partner key accepts the lead offered to its partner; the answer is the draft deal
        registration it becomes."""
        lead = self._lead(pk)
        data = LeadAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = User.objects.filter(email=data.validated_data["owner"].lower()).first()
        if owner is None:
            raise DomainError(_("The owner must be a colleague at your company."))
        registration = lead_accept(lead=lead, acting_membership=self.membership, owner=owner)
        return Response(DealSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LeadDeclineSerializer, responses=LeadDeclinedSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """A partner key declines with a reason; the lead goes on to the next partner (and out of
        this key's sight)."""
        lead = self._lead(pk)
        data = LeadDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead_decline(lead=lead, acting_membership=self.membership, reason=data.validated_data["reason"])
        return Response({"id": lead.pk, "declined": True})


class OpportunitySerializer(serializers.ModelSerializer):
    value = AmountField()

    class Meta:
        model = DirectOpportunity
        fields = [
            "reference",
            "customer_name",
            "customer_domain",
            "country",
            "product_lines",
            "value",
            "currency",
            "expected_close_date",
            "sales_owner",
            "status",
            "created_at",
        ]


class OpportunityUpsertSerializer(serializers.Serializer):
    customer_name = serializers.CharField(max_length=200)
    customer_domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Za-z]{2}$")
    product_lines = serializers.ListField(
        child=serializers.CharField(max_length=100), min_length=1, max_length=100
    )
    value = DecimalInput(min_value=0, required=False)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    sales_owner = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=DirectOpportunity.Status.choices, required=False)


class OpportunityFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DirectOpportunity.Status.choices)
    country = django_filters.CharFilter()


class OpportunityViewSet(ReadOnlyResource):
    """The vendor's direct opportunities, addressed by their reference (the CRM's id)."""

    resource = "opportunities"
    perm = Perm.OPPORTUNITY_MANAGE
    model = DirectOpportunity
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    lookup_field = "reference"
    lookup_value_regex = r"[^/]{1,64}"
    ordering_fields = ["created_at", "reference"]
    ordering = ["-created_at"]

    def scoped_queryset(self):
        return direct_opportunities()

    @extend_schema(
        request=OpportunityUpsertSerializer,
        responses={200: OpportunitySerializer, 201: OpportunitySerializer},
    )
    def update(self, request, reference=None):
        """Create the opportunity with this reference, or bring it in line (fields and status)."""
        data = OpportunityUpsertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        opportunity, created = direct_opportunity_upsert(
            acting_membership=self.membership, data={**data.validated_data, "reference": reference}
        )
        return Response(
            OpportunitySerializer(opportunity).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
