"""Request middleware: resolve the tenant from the host, then the user's membership in it."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import resolve
from django.utils.translation import gettext as _

from prm.accounts.selectors import membership_for
from prm.audit.services import current_ip
from prm.roles import mfa_required
from prm.tenancy.context import tenant_context, user_context
from prm.tenancy.hosts import is_platform_host, normalise_host
from prm.tenancy.models import Domain

# Views a signed-in user may reach before enrolling in MFA (the enrolment itself, logout, language).
MFA_ENROLMENT_ALLOWED = {
    "mfa_activate_totp",
    "mfa_index",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "account_logout",
    "set_language",
    "account_login",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "account_reauthenticate",
}


class TenantMiddleware:
    """Sets ``request.tenant`` and the tenant context for the whole request.

    Tenant hosts use the portal URLconf; the bare base domain uses the platform URLconf;
    unknown hosts answer 404.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:

        # Audit events record the client address of the request that caused them.
        ip_token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self._resolve(request)
        finally:
            current_ip.reset(ip_token)

    def _resolve(self, request: HttpRequest) -> HttpResponse:
        host = normalise_host(request.get_host())
        if is_platform_host(host):
            request.tenant = None  # type: ignore[attr-defined]
            request.urlconf = settings.PRM_PLATFORM_URLCONF  # type: ignore[attr-defined]
            with tenant_context(None):
                return self.get_response(request)
        domain = Domain.objects.select_related("tenant").filter(host=host, tenant__is_active=True).first()
        if domain is None:
            raise Http404(_("No portal is served at this address."))
        request.tenant = domain.tenant  # type: ignore[attr-defined]
        with tenant_context(domain.tenant):
            return self.get_response(request)


class MembershipMiddleware:
    """Sets ``request.membership`` (the signed-in user's role in this tenant, or None) and sends
    vendor admins, channel managers and finance to MFA enrolment until they have an authenticator."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:

        request.membership = None  # type: ignore[attr-defined]
        tenant = getattr(request, "tenant", None)
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        with user_context(user.pk):
            if tenant is not None:
                request.membership = membership_for(user, tenant)  # type: ignore[attr-defined]
            needs_mfa = mfa_required(user, request.membership)  # type: ignore[attr-defined]
            if needs_mfa and not _has_totp(user) and _view_name(request) not in MFA_ENROLMENT_ALLOWED:
                messages.warning(
                    request,
                    _(
                        "Your role requires two-factor authentication. Set up an authenticator app to continue."
                    ),
                )
                return redirect("mfa_activate_totp")
            return self.get_response(request)


def _view_name(request: HttpRequest) -> str | None:
    try:
        return resolve(request.path_info, urlconf=getattr(request, "urlconf", None)).url_name
    except Http404:
        return None


def _has_totp(user) -> bool:

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
