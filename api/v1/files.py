"""Files partner systems send without a person: POS and inventory files (POST a file, get a job;
follow the job; read the upload's summary and rejected rows), and the jobs a key started."""

from __future__ import annotations

import json

import django_filters
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.fields import AmountField, PartnerCodeField
from api.uploads import pos_upload_start
from api.views import ReadOnlyResource
from posdata.fields import field_names
from posdata.models import Kind, RejectedRow, Upload
from posdata.selectors import uploads_for_membership
from prm.jobs.models import Job
from prm.jobs.selectors import jobs_for_membership
from prm.roles import Perm


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class JobViewSet(ReadOnlyResource):
    """The jobs this key started (a file it sent, a claim it submitted): status, progress, the
    result summary, or the reason it failed."""

    perm = Perm.JOB_VIEW
    model = Job
    serializer_class = JobSerializer
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def scoped_queryset(self):
        return jobs_for_membership(self.membership).filter(created_by=self.membership.user)


class UploadSerializer(serializers.ModelSerializer):
    partner = PartnerCodeField(read_only=True)
    amount_total = AmountField()
    job = serializers.IntegerField(source="job_id", allow_null=True, read_only=True)

    class Meta:
        model = Upload
        fields = [
            "id",
            "partner",
            "kind",
            "status",
            "original_name",
            "size",
            "mapping",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
            "rows_duplicate",
            "quantity_total",
            "amount_total",
            "currency",
            "amount_totals",
            "error",
            "job",
            "created_at",
            "loaded_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.currency:  # not loaded yet: no amount to speak of
            data["amount_total"] = None
        return data


class UploadCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX, checked by content.")
    partner = PartnerCodeField(
        required=False, help_text="The partner's code (vendor keys); a partner key sends for its own partner."
    )
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.POS)
    mapping = serializers.CharField(
        required=False,
        help_text='JSON object naming the file header of each canonical field, e.g. {"invoice_number": "Inv No"}; '
        "default: the partner's saved mapping completed by detection.",
    )

    def validate(self, attrs):
        raw = attrs.get("mapping")
        if raw:
            try:
                mapping = json.loads(raw)
            except ValueError:
                raise serializers.ValidationError({"mapping": [_("Not a JSON object.")]}) from None
            if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
            ):
                raise serializers.ValidationError(
                    {"mapping": [_("Map field names to header names (strings).")]}
                )
            unknown = sorted(set(mapping) - set(field_names(attrs["kind"])))
            if unknown:
                raise serializers.ValidationError(
                    {"mapping": [_("Unknown field(s): %(f)s.") % {"f": ", ".join(unknown)}]}
                )
            attrs["mapping"] = mapping
        return attrs


class UploadAccepted(serializers.Serializer):
    job = serializers.IntegerField(help_text="Follow it at /api/v1/jobs/{job}/.")
    upload = UploadSerializer()


class RejectedRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = RejectedRow
        fields = ["line", "code", "errors", "data"]


class UploadFilter(django_filters.FilterSet):
    partner = django_filters.CharFilter(field_name="partner__code")
    status = django_filters.MultipleChoiceFilter(choices=Upload.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)


class PosUploadViewSet(ReadOnlyResource):
    """POS and inventory files (a partner key: its partner's)."""

    resource = "pos"
    perm = Perm.POS_VIEW
    model = Upload
    serializer_class = UploadSerializer
    filterset_class = UploadFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def scoped_queryset(self):
        return uploads_for_membership(self.membership).defer("preview", "headers", "formats", "fx_rates")

    @extend_schema(request={"multipart/form-data": UploadCreateSerializer}, responses={202: UploadAccepted})
    def create(self, request, *args, **kwargs):
        """Send a file: it is checked and stored now, then read, mapped and loaded by a job."""
        data = UploadCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        partner = fields.get("partner") or (self.membership.partner if self.membership.is_partner else None)
        if partner is None:
            raise serializers.ValidationError({"partner": [_("Name the partner the file belongs to.")]})
        upload, job = pos_upload_start(
            key=request.auth,
            acting_membership=self.membership,
            partner=partner,
            kind=fields["kind"],
            file=fields["file"],
            original_name=fields["file"].name,
            mapping=fields.get("mapping"),
        )
        body = {"job": job.pk, "upload": UploadSerializer(upload).data}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=RejectedRowSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=["line"], ordering=["line"])
    def errors(self, request, pk=None):
        """The rows that could not be loaded: line, every problem (column, code, message) and the
        row's values, in file order."""
        upload = get_object_or_404(self.scoped_queryset(), pk=pk)
        rows = RejectedRow.objects.filter(upload=upload).order_by(F("line").asc(), "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RejectedRowSerializer(page, many=True).data)
