"""Portal views of the core: home, people and invitations, notifications, jobs, audit, imports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from prm.access import portal_view
from prm.accounts import services as account_services
from prm.accounts.models import Invitation, User
from prm.accounts.selectors import (
    get_invitation_by_token_or_404,
    invitations_visible_to,
    member_in_reach,
    memberships_across_tenants,
    memberships_visible_to,
    role_choices_for,
)
from prm.audit.models import AuditEvent
from prm.audit.report_pages import audit_page
from prm.audit.selectors import AUDIT_EXPORT_HEADERS, audit_export_rows
from prm.catalog.selectors import get_product_or_404, products_visible
from prm.dashboard import panels_for
from prm.exports import export_response
from prm.forms import (
    InvitationForm,
    InvitationSignupForm,
    PreferencesForm,
    ReferenceImportForm,
    TenantSettingsForm,
)
from prm.http import AnyRequest, PortalRequest
from prm.imports import import_kinds_for, reference_import_start
from prm.jobs.selectors import get_job_for_membership_or_404, jobs_for_membership
from prm.lib.colours import shade, text_on, valid_colour
from prm.notifications import services as notification_services
from prm.notifications.selectors import get_notification_for_user_or_404, notifications_for_user, unread_count
from prm.reports import EXPORT_FORMATS
from prm.roles import Perm
from prm.scoping import partners_in_scope
from prm.settings_sections import settings_sections_for
from prm.tenancy.context import user_context
from prm.tenancy.locale import supported_language
from prm.tenancy.services import SETTINGS_FIELDS, tenant_settings_update
from prm.workflow import DomainError

PAGE_SIZE = 50


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE):
    """One page of ``queryset``. A query with GROUP BY (an annotated count) loses the model's
    Meta.ordering, and pages of an unordered query may repeat or skip rows: order it by the
    model's ordering and the primary key."""
    if isinstance(queryset, QuerySet) and not queryset.ordered:
        queryset = queryset.order_by(*queryset.model._meta.ordering, "pk")
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


@portal_view(Perm.DASHBOARD_VIEW)
def home(request: PortalRequest) -> HttpResponse:
    return render(request, "prm/home.html", {"panels": panels_for(request.membership)})


@require_POST
def set_language(request: AnyRequest) -> HttpResponse:
    """The language switcher: Django's cookie for this browser, and, for a signed-in person,
    their saved language so that it follows them to other devices."""

    response = django_set_language(request)
    language = supported_language(request.POST.get("language"))
    if language and request.user.is_authenticated:
        account_services.user_set_preferences(user=request.user, language=language)
    return response


@portal_view(Perm.DASHBOARD_VIEW)
@require_http_methods(["GET", "POST"])
def preferences(request: PortalRequest) -> HttpResponse:
    user = request.membership.user
    form = PreferencesForm(
        request.POST or None, initial={"language": user.language, "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        account_services.user_set_preferences(
            user=user, language=form.cleaned_data["language"], time_zone=form.cleaned_data["time_zone"]
        )
        response = redirect("preferences")
        # The saved language wins from now on, also over this browser's earlier switcher choice.
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        messages.success(request, _("Your preferences are saved."))
        return response
    return render(request, "prm/preferences.html", {"form": form})


@require_GET
def switch_tenant(request: AnyRequest) -> HttpResponse:
    """The user's portals in every tenant where they are a member."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    with user_context(request.user.pk):
        memberships = list(memberships_across_tenants(request.user))
    return render(request, "prm/switch_tenant.html", {"memberships": memberships})


# --- People and invitations ---------------------------------------------------------------


@portal_view(Perm.STAFF_VIEW)
def people(request: PortalRequest) -> HttpResponse:
    """People of the tenant (partner admins: of their partner), with deactivate, reactivate and
    role changes for the members within the viewer's reach."""
    membership = request.membership
    page = paginate(request, memberships_visible_to(membership))
    rows = [
        {
            "member": m,
            "manageable": member_in_reach(membership, m),
            "roles": role_choices_for(m),
        }
        for m in page
    ]
    return render(
        request,
        "prm/people.html",
        {
            "members": page,
            "rows": rows,
            "invitations": invitations_visible_to(membership).filter(status=Invitation.Status.PENDING),
        },
    )


def _member_action(request: PortalRequest, pk: int, action) -> HttpResponse:
    target = get_object_or_404(memberships_visible_to(request.membership), pk=pk)
    try:
        action(target)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved: %(user)s.") % {"user": target.user})
    return redirect("people")


@portal_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def member_deactivate(request: PortalRequest, pk: int) -> HttpResponse:
    return _member_action(
        request,
        pk,
        lambda target: account_services.membership_deactivate(
            membership=target, acting_membership=request.membership, reason=request.POST.get("reason", "")
        ),
    )


@portal_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def member_reactivate(request: PortalRequest, pk: int) -> HttpResponse:
    return _member_action(
        request,
        pk,
        lambda target: account_services.membership_reactivate(
            membership=target, acting_membership=request.membership
        ),
    )


@portal_view(Perm.MEMBERSHIP_MANAGE)
@require_POST
def member_role(request: PortalRequest, pk: int) -> HttpResponse:
    return _member_action(
        request,
        pk,
        lambda target: account_services.membership_change_role(
            membership=target, role=request.POST.get("role", ""), acting_membership=request.membership
        ),
    )


@portal_view(Perm.STAFF_VIEW)
@require_http_methods(["GET", "POST"])
def invite(request: PortalRequest) -> HttpResponse:
    membership = request.membership
    form = InvitationForm(
        request.POST or None, membership=membership, partners_qs=partners_in_scope(membership)
    )
    if request.method == "POST" and form.is_valid():
        try:
            account_services.invitation_create(
                acting_membership=membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                partner=form.cleaned_data.get("partner"),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % form.cleaned_data)
            return redirect("people")
    return render(request, "prm/invite.html", {"form": form})


@portal_view(Perm.STAFF_VIEW)
@require_POST
def invitation_revoke(request: PortalRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(invitations_visible_to(request.membership), pk=pk)
    try:
        account_services.invitation_revoke(invitation=invitation, acting_membership=request.membership)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("people")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: AnyRequest, token: str) -> HttpResponse:
    """Public landing page of an invitation link: sign up or sign in, then accept."""
    if request.tenant is None:
        raise PermissionDenied
    invitation = get_invitation_by_token_or_404(token)
    context: dict = {"invitation": invitation}
    if not invitation.is_usable:
        return render(request, "prm/invitation_unusable.html", context, status=410)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                account_services.invitation_accept(invitation=invitation, user=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
                return redirect("invitation_accept", token=token)
            messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": request.tenant.brand_name})
            return redirect("home")
        return render(request, "prm/invitation_accept.html", context)
    if User.objects.filter(email=invitation.email).exists():
        context["login_url"] = f"/accounts/login/?next=/invitations/{token}/"
        return render(request, "prm/invitation_accept.html", context)
    form = InvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user, _membership = account_services.invitation_sign_up(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": request.tenant.brand_name})
            return redirect("home")
    context["form"] = form
    return render(request, "prm/invitation_signup.html", context)


# --- Notifications ----------------------------------------------------------------------------


@portal_view(Perm.DASHBOARD_VIEW)
def notifications(request: PortalRequest) -> HttpResponse:
    return render(
        request, "prm/notifications.html", {"page": paginate(request, notifications_for_user(request.user))}
    )


@portal_view(Perm.DASHBOARD_VIEW)
def notifications_badge(request: PortalRequest) -> HttpResponse:
    return render(
        request, "prm/includes/notification_badge.html", {"unread_notifications": unread_count(request.user)}
    )


@portal_view(Perm.DASHBOARD_VIEW)
@require_POST
def notification_open(request: PortalRequest, pk: int) -> HttpResponse:
    note = get_notification_for_user_or_404(request.user, pk)
    notification_services.notification_mark_read(notification=note, acting_user=request.user)
    target = note.url or "/notifications/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/notifications/"
    return redirect(target)


@portal_view(Perm.DASHBOARD_VIEW)
@require_POST
def notifications_read_all(request: PortalRequest) -> HttpResponse:
    notification_services.notifications_mark_all_read(acting_user=request.user)
    return redirect("notifications")


# --- Jobs --------------------------------------------------------------------------------------


@portal_view(Perm.JOB_VIEW)
def jobs(request: PortalRequest) -> HttpResponse:
    return render(
        request, "prm/jobs.html", {"page": paginate(request, jobs_for_membership(request.membership))}
    )


@portal_view(Perm.JOB_VIEW)
def job_detail(request: PortalRequest, pk: int) -> HttpResponse:
    job = get_job_for_membership_or_404(request.membership, pk)
    return render(request, "prm/job_detail.html", {"job": job})


@portal_view(Perm.JOB_VIEW)
def job_progress(request: PortalRequest, pk: int) -> HttpResponse:
    """htmx fragment polled by the progress bar; HTTP 286 tells htmx to stop polling."""
    job = get_job_for_membership_or_404(request.membership, pk)
    response = render(request, "prm/includes/job_progress.html", {"job": job})
    if job.is_finished:
        response.status_code = 286
    return response


# --- Audit log ---------------------------------------------------------------------------------


@portal_view(Perm.AUDIT_VIEW)
def audit_log(request: PortalRequest) -> HttpResponseBase:
    """The audit log with its filters (action, partner, object type and id, actor, days), and the
    filtered events as CSV or XLSX (``?export=csv|xlsx``: escaped, and the download is audited)."""
    page = audit_page(request.membership, request.GET)
    form, events = page.form, page.events
    export = request.GET.get("export", "")
    if export in EXPORT_FORMATS:
        return export_response(f"audit-log.{export}", AUDIT_EXPORT_HEADERS, audit_export_rows(events))
    return render(request, "prm/audit_log.html", {"form": form, "page": paginate(request, events)})


# --- Catalog -----------------------------------------------------------------------------------


@portal_view(Perm.PRODUCT_VIEW)
def products(request: PortalRequest) -> HttpResponse:
    qs = products_visible()
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(sku__icontains=query) | qs.filter(name__icontains=query)
    return render(request, "prm/products.html", {"page": paginate(request, qs), "q": query})


@portal_view(Perm.PRODUCT_VIEW)
def product_detail(request: PortalRequest, pk: int) -> HttpResponse:
    return render(request, "prm/product_detail.html", {"product": get_product_or_404(pk)})


# --- Reference data imports -------------------------------------------------------------------


@portal_view(Perm.DATA_IMPORT)
@require_http_methods(["GET", "POST"])
def imports(request: PortalRequest) -> HttpResponse:
    form = ReferenceImportForm(
        request.POST or None,
        request.FILES or None,
        kinds=import_kinds_for(request.membership),
        initial={"kind": request.GET.get("kind", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = reference_import_start(
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                acting_membership=request.membership,
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("job_detail", pk=job.pk)
    recent = jobs_for_membership(request.membership).filter(kind__startswith="import:")[:10]
    return render(request, "prm/imports.html", {"form": form, "recent": recent})


# --- Tenant settings ---------------------------------------------------------------------------


@portal_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def tenant_settings(request: PortalRequest) -> HttpResponse:
    """The tenant's own settings (vendor admins), and every settings section the apps register,
    with their current values, in one place."""
    tenant = request.tenant
    initial = {name: getattr(tenant, name) for name in SETTINGS_FIELDS}
    initial["notification_reply_to"] = "\n".join(tenant.notification_reply_to)
    form = TenantSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            tenant_settings_update(
                acting_membership=request.membership,
                data={name: form.cleaned_data[name] for name in SETTINGS_FIELDS},
                logo=form.cleaned_data["logo"],
                remove_logo=form.cleaned_data["remove_logo"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Tenant settings saved."))
            return redirect("tenant_settings")
    history = AuditEvent.objects.select_related("actor").filter(
        object_type=tenant._meta.label_lower, object_id=str(tenant.pk), action="tenant.settings_update"
    )[:10]
    return render(
        request,
        "prm/tenant_settings.html",
        {"form": form, "sections": settings_sections_for(request.membership), "history": history},
    )


# --- Branding ----------------------------------------------------------------------------------


@require_GET
def brand_css(request: AnyRequest) -> HttpResponse:
    """The tenant's colours as a stylesheet (the CSP forbids inline styles): the brand colour with
    a text colour that reads on it, and the accent colour of the main buttons. The page links it
    with the branding version, so it may be cached and a change still shows at once."""
    if request.tenant is None:
        raise Http404
    brand = valid_colour(request.tenant.primary_colour)
    accent = valid_colour(request.tenant.accent_colour)
    on_accent = text_on(accent)
    hover, pressed = shade(accent, 0.15), shade(accent, 0.25)
    css = (
        f":root {{ --brand: {brand}; --brand-text: {text_on(brand)}; --brand-accent: {accent}; }}\n"
        f".btn-primary {{ --bs-btn-color: {on_accent}; --bs-btn-bg: {accent}; --bs-btn-border-color: {accent};"
        f" --bs-btn-hover-color: {on_accent}; --bs-btn-hover-bg: {hover}; --bs-btn-hover-border-color: {hover};"
        f" --bs-btn-active-color: {on_accent}; --bs-btn-active-bg: {pressed};"
        f" --bs-btn-active-border-color: {pressed}; --bs-btn-disabled-color: {on_accent};"
        f" --bs-btn-disabled-bg: {accent}; --bs-btn-disabled-border-color: {accent}; }}\n"
    )
    response = HttpResponse(css, content_type="text/css")
    response["Cache-Control"] = "max-age=86400" if request.GET.get("v") else "max-age=300"
    return response


@require_GET
def brand_logo(request: AnyRequest) -> HttpResponse:
    if request.tenant is None or not request.tenant.logo:
        raise Http404
    response = FileResponse(request.tenant.logo.open("rb"))
    response["Cache-Control"] = "max-age=86400" if request.GET.get("v") else "max-age=300"
    return response  # type: ignore[return-value]
