"""SKU cross-references: a partner's own code for one of the vendor's products."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from partners.models import Partner
from posdata.models import SkuXref
from posdata.services.common import check_partner
from prm.audit.services import audit
from prm.catalog.models import Product
from prm.roles import Perm, membership_has
from prm.workflow import DomainError, require


def sku_xref_create(*, partner: Partner, partner_sku: str, product: Product, acting_membership) -> SkuXref:
    """Map a partner's code to a vendor product (audited)."""
    require(membership_has(acting_membership, Perm.POS_MANAGE))
    check_partner(acting_membership, partner)
    partner_sku = partner_sku.strip()
    if not partner_sku:
        raise DomainError(_("The partner SKU is empty."))
    with transaction.atomic():
        existing = (
            SkuXref.objects.select_for_update()
            .filter(partner=partner, partner_sku__iexact=partner_sku)
            .first()
        )
        if existing is not None:
            if existing.product_id == product.pk:
                return existing
            raise DomainError(
                _("%(code)s is already mapped to %(sku)s.")
                % {"code": partner_sku, "sku": existing.product.sku}
            )
        xref = SkuXref.objects.create(
            partner=partner, partner_sku=partner_sku, product=product, created_by=acting_membership.user
        )
        audit(
            actor=acting_membership.user,
            action="pos.sku_xref_create",
            obj=xref,
            after={"partner": partner.code, "partner_sku": partner_sku, "sku": product.sku},
        )
    return xref


def sku_xref_delete(*, xref: SkuXref, acting_membership) -> None:
    require(membership_has(acting_membership, Perm.POS_MANAGE))
    check_partner(acting_membership, xref.partner)
    with transaction.atomic():
        audit(
            actor=acting_membership.user,
            action="pos.sku_xref_delete",
            obj=xref,
            before={"partner": xref.partner.code, "partner_sku": xref.partner_sku, "sku": xref.product.sku},
        )
        xref.delete()
