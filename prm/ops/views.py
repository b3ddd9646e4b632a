"""The platform operator's operations pages (bare base domain): status, readiness detail, metrics."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from prm.ops import metrics
from prm.ops.access import operator_view
from prm.ops.health import readiness


@operator_view(token=True)
@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Every readiness check with its error and time: 503 when a critical one fails."""
    report = readiness()
    return JsonResponse(report, status=503 if report["status"] == "unavailable" else 200)


@operator_view(token=True)
@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)


@operator_view()
@require_GET
@never_cache
def status(request: HttpRequest) -> HttpResponse:
    """One page for the operator: the readiness checks and the queues."""
    report = readiness()
    queues = metrics.queue_depths()
    return render(request, "prm/ops/status.html", {"report": report, "queues": queues})
