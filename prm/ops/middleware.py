"""Outermost middleware: probes that answer on any host, request ids, request metrics."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from prm.ops import logs, metrics
from prm.ops.health import readiness

logger = logging.getLogger("prm.requests")

LIVE_PATH = "/-/live"
READY_PATH = "/-/ready"
REQUEST_ID_HEADER = "X-Request-ID"
# An id from the proxy in front is kept when it looks like one (so that its logs and ours match).
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class ProbeMiddleware:
    """``/-/live`` (the process answers) and ``/-/ready`` (its dependencies answer) for load
    balancers and orchestrators: on any host (they probe by address), without signing in, without
    detail (operators read the detail at ``/ops/health/`` on the platform host)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == LIVE_PATH:
            return JsonResponse({"status": "ok"})
        if request.path == READY_PATH:
            status = readiness()["status"]
            return JsonResponse({"status": status}, status=503 if status == "unavailable" else 200)
        return self.get_response(request)


class RequestIdMiddleware:
    """Give every request an id: in every log line of the request (prm.ops.logs), in the
    ``X-Request-ID`` response header and on the error pages, so a user can quote it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "") if settings.PRM_TRUST_REQUEST_ID else ""
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        timer = metrics.Timer()
        with logs.bound(request_id=request_id):
            response = self.get_response(request)
            view, seconds = _view_name(request), timer.seconds()
            metrics.observe_request(
                view=view, method=request.method or "", status=response.status_code, seconds=seconds
            )
            # The route pattern, never the path or the query string: they can hold tokens.
            match = getattr(request, "resolver_match", None)
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "view": view,
                    "route": match.route if match is not None else None,
                    "status": response.status_code,
                    "seconds": round(seconds, 4),
                    "tenant": getattr(getattr(request, "tenant", None), "slug", None),
                    "user": request.user.pk
                    if getattr(request, "user", None) and request.user.is_authenticated
                    else None,
                },
            )
        response[REQUEST_ID_HEADER] = request_id
        return response


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    if getattr(request, "urlconf", None) == settings.PRM_PLATFORM_URLCONF:
        return f"platform:{match.view_name}"
    return match.view_name
