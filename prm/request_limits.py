"""Request bodies are bounded before anything reads them.

Django's form parsing (the CSRF check reads ``request.POST`` of every POST) streams file parts to
temporary files with no limit of its own, so an anonymous POST could fill the disk. This
middleware refuses a body by its declared length (Django never reads past ``Content-Length``):
anonymous requests get ``PRM_ANONYMOUS_BODY_MAX_BYTES``, signed-in users ``PRM_BODY_MAX_BYTES``
(one upload and its form). The proxy in front (deploy/nginx.conf) applies the same limits.

Credentials other than a session (the API's keys) count as signed in when a check registered with
``register_credential_check`` (from an app's ``AppConfig.ready()``) verifies them; the checks run
only for a body above the anonymous limit.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

CredentialCheck = Callable[[HttpRequest], bool]
_credential_checks: list[CredentialCheck] = []


def register_credential_check(check: CredentialCheck) -> None:
    """``check(request)``: True when the request carries a verified credential of its own."""
    if check not in _credential_checks:
        _credential_checks.append(check)


def body_limit_for(request: HttpRequest) -> int:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return settings.PRM_BODY_MAX_BYTES
    return settings.PRM_ANONYMOUS_BODY_MAX_BYTES


def _signed_in_by_credential(request: HttpRequest) -> bool:
    return any(check(request) for check in _credential_checks)


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit_for(request)
        if declared_length(request) > limit and _signed_in_by_credential(request):
            limit = settings.PRM_BODY_MAX_BYTES
        if declared_length(request) > limit:
            return HttpResponse(
                _("The request is too large (at most %(kb)d KB).") % {"kb": limit // 1024},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
