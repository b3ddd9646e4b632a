from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from prm.catalog.models import Product


def products_visible() -> QuerySet[Product]:
    """The tenant's catalog; every member of the tenant may read it."""
    return Product.objects.all()


def get_product_or_404(pk: int) -> Product:
    return get_object_or_404(products_visible(), pk=pk)
