"""Territories (vendor admins define them; managers see them): list, create/edit with the
overlap warning, delete, and the territory dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners.forms_territories import TerritoryForm
from partners.models import Territory
from partners.report_pages import territory_rows
from partners.selectors import get_territory_or_404
from partners.services.territories import territory_delete, territory_save
from partners.territories import overlaps
from prm.access import portal_view
from prm.actions import run_action
from prm.http import PortalRequest
from prm.roles import Perm, membership_has
from prm.workflow import DomainError


@portal_view(Perm.TERRITORY_VIEW)
@require_GET
def territory_list(request: PortalRequest) -> HttpResponse:
    """The territories in precedence order with their dashboard figures (pipeline, wins, POS
    revenue, coverage): a fixed number of queries whatever the number of territories or deals."""
    _territories, columns, rows = territory_rows(request.tenant.base_currency)
    return render(
        request,
        "partners/territories.html",
        {
            "rows": rows,
            "columns": columns,
            "can_manage": membership_has(request.membership, Perm.TERRITORY_MANAGE),
        },
    )


@portal_view(Perm.TERRITORY_MANAGE)
@require_http_methods(["GET", "POST"])
def territory_edit(request: PortalRequest, pk: int | None = None) -> HttpResponse:
    territory = get_territory_or_404(pk) if pk else Territory()
    form = TerritoryForm(request.POST or None, instance=territory)
    if request.method == "POST" and form.is_valid():
        try:
            saved, overlapping = territory_save(
                territory=form.apply(),
                acting_membership=request.membership,
                owners=form.cleaned_data["owners"],
                partners=form.cleaned_data["partners"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Territory %(name)s saved.") % {"name": saved.name})
            for other, reasons in overlapping:
                messages.warning(
                    request,
                    _(
                        "Overlaps with %(other)s (precedence %(p)d): %(why)s. The lower precedence number wins."
                    )
                    % {"other": other.name, "p": other.precedence, "why": "; ".join(reasons)},
                )
            return redirect("partners:territory_edit", pk=saved.pk)
    return render(
        request,
        "partners/territory_edit.html",
        {
            "form": form,
            "territory": territory if territory.pk else None,
            "overlaps": overlaps(territory) if territory.pk else [],
        },
    )


@portal_view(Perm.TERRITORY_MANAGE)
@require_POST
def territory_delete_view(request: PortalRequest, pk: int) -> HttpResponse:
    territory = get_territory_or_404(pk)
    return run_action(
        request,
        lambda: territory_delete(territory=territory, acting_membership=request.membership),
        success=_("Territory deleted."),
        redirect_to=reverse("partners:territories"),
    )
